import { GatheringError } from './errors.js'
import type { GatheringOptions } from './types.js'

export class ImageNotAllowedError extends GatheringError {
  constructor (readonly field: string, message: string) {
    super(message, 'IMAGE_NOT_ALLOWED')
  }
}

export interface ImagePolicy {
  /** Exact references, or prefixes ending in `*`; empty allows any. */
  allowedImages: string[]
  allowedImageStreams: string[]
}

const matches = (value: string, patterns: string[]): boolean =>
  patterns.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : value === p))

/**
 * A service shared across products can restrict what runs with cluster-admin
 * rights. `oc`'s own default image (no image given, no MUST_GATHER_IMAGE) is
 * always allowed; `all-images` is not while a list is set, since it runs every
 * operator's image.
 */
export function checkImagePolicy (options: GatheringOptions, policy: ImagePolicy): void {
  if (policy.allowedImages.length > 0) {
    if (options.allImages) throw new ImageNotAllowedError('all-images', 'all-images is not allowed: this service only runs the images in ALLOWED_IMAGES')
    for (const image of options.images) {
      if (!matches(image, policy.allowedImages)) {
        throw new ImageNotAllowedError('image', `image "${image}" is not allowed on this service (ALLOWED_IMAGES: ${policy.allowedImages.join(', ')})`)
      }
    }
  }
  if (policy.allowedImageStreams.length > 0) {
    for (const stream of options.imageStreams) {
      if (!matches(stream, policy.allowedImageStreams)) {
        throw new ImageNotAllowedError('image-stream', `image stream "${stream}" is not allowed on this service (ALLOWED_IMAGE_STREAMS: ${policy.allowedImageStreams.join(', ')})`)
      }
    }
  }
}
