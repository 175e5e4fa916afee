/** The cluster summary and comparison: the module's public surface. */
export { compare } from './compare.js'
export { summarize, summarizeLocated, type SummarizeOptions } from './summarize.js'
export { checkTreePath, DirectoryTreeSource, type DirectoryTreeSourceOptions, type TreeEntry, type TreeSource, TreePathError } from './tree-source.js'
export * from './types.js'
