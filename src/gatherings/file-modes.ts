/**
 * What the service writes is as sensitive as the cluster it came from:
 * readable and writable by the service's user only, whatever the umask
 * (a mode given at creation can only lose bits to the umask, never gain).
 */
export const PRIVATE_FILE = 0o600
export const PRIVATE_DIRECTORY = 0o700
