import { RequestNotAllowedError } from './errors.js'
import type { GatheringOptions } from './types.js'

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
    if (options.allImages) throw new RequestNotAllowedError('allImages', (name) => `${name} is not allowed: this service only runs the images in ALLOWED_IMAGES`)
    for (const image of options.images) {
      if (!matches(image, policy.allowedImages)) {
        throw new RequestNotAllowedError('image', `image "${image}" is not allowed on this service (ALLOWED_IMAGES: ${policy.allowedImages.join(', ')})`)
      }
    }
  }
  // A stream can point at any image: with an image list but no stream list, streams are refused.
  if (policy.allowedImages.length > 0 && policy.allowedImageStreams.length === 0 && options.imageStreams.length > 0) {
    throw new RequestNotAllowedError('imageStream', (name) => `${name} is not allowed: this service only runs the images in ALLOWED_IMAGES (set ALLOWED_IMAGE_STREAMS to allow streams)`)
  }
  if (policy.allowedImageStreams.length > 0) {
    for (const stream of options.imageStreams) {
      if (!matches(stream, policy.allowedImageStreams)) {
        throw new RequestNotAllowedError('imageStream', `image stream "${stream}" is not allowed on this service (ALLOWED_IMAGE_STREAMS: ${policy.allowedImageStreams.join(', ')})`)
      }
    }
  }
}
