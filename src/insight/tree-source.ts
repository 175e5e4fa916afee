export interface TreeEntry { path: string; type: 'file' | 'directory' | 'symlink' | 'other'; size: number }
export interface TreeSource {
  /** Every entry, in archive order. */
  entries (): AsyncIterable<TreeEntry>
  /** A regular file's whole content. */
  read (path: string): Promise<Buffer>
}
