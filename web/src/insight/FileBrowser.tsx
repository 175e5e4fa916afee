import { Alert, Breadcrumb, BreadcrumbItem, Button, FormSelect, FormSelectOption, Spinner } from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { useEffect, useRef, useState } from 'react'

import { ApiError } from '../api'
import { formatBytes, formatTime } from '../format'
import { type DirectoryPage, type ListedEntry, listDirectory } from './archive-api'
import { DownloadButton } from './DownloadButton'
import { FileViewer } from './FileViewer'

/** Where the browser is: a directory, and maybe one of its files open in the viewer (at a line). */
export interface FileLocation { dir: string, file?: string, line?: number, offset?: number }

const PAGE_SIZES = [25, 100, 500]

/**
 * The archive's directories, a page at a time. Symlinks are shown with
 * their target and never followed; a nested `.tar.gz` (`archive: true`)
 * opens like a directory. A file opens in the viewer.
 */
export function FileBrowser ({ id, location, onLocation }: { id: number, location: FileLocation, onLocation: (location: FileLocation) => void }): React.ReactNode {
  const [offset, setOffset] = useState(0)
  const [pageSize, setPageSize] = useState(100)
  const [page, setPage] = useState<DirectoryPage | undefined>()
  const [problem, setProblem] = useState<string | undefined>()
  const { dir, file } = location
  const top = useRef<HTMLDivElement>(null)

  useEffect(() => { setOffset(0) }, [dir])
  // A folder or a file opened from far down a listing: the page keeps its scroll, so bring the path back into sight.
  useEffect(() => {
    const element = top.current
    if (element !== null && element.getBoundingClientRect().top < 0) element.scrollIntoView({ block: 'start' })
  }, [dir, file])
  useEffect(() => {
    if (file !== undefined) return
    const abort = new AbortController()
    setProblem(undefined)
    listDirectory(id, dir, offset, pageSize, abort.signal).then(setPage, (error: unknown) => {
      if (!abort.signal.aborted) setProblem(error instanceof ApiError || error instanceof Error ? error.message : String(error))
    })
    return () => abort.abort()
  }, [id, dir, offset, pageSize, file])

  const go = (entry: ListedEntry): void => {
    if (entry.type === 'directory' || entry.archive === true) onLocation({ dir: entry.path })
    else onLocation({ dir, file: entry.path })
  }

  return (
    <div data-testid='file-browser' ref={top}>
      <PathCrumbs dir={dir} file={file} onDir={(d) => onLocation({ dir: d })} />
      {file !== undefined
        ? <FileViewer key={`${file}:${location.line ?? ''}:${location.offset ?? ''}`} id={id} path={file} {...(location.line !== undefined && { line: location.line })} {...(location.offset !== undefined && { offset: location.offset })} />
        : problem !== undefined
          ? <Alert variant='danger' isInline title='The directory could not be listed'>{problem}</Alert>
          : page === undefined || page.path !== dir
            ? <Spinner aria-label='Loading the directory' />
            : (
              <>
                <Table aria-label={`Files in ${dir === '' ? 'the archive' : dir}`} variant='compact' data-testid='file-list'>
                  <Thead><Tr><Th modifier='wrap'>Name</Th><Th modifier='wrap'>Type</Th><Th modifier='wrap'>Size</Th><Th modifier='wrap'>Mode</Th><Th modifier='wrap'>Modified</Th></Tr></Thead>
                  <Tbody>
                    {page.entries.map((entry) => (
                      <Tr key={entry.path} data-path={entry.path}>
                        <Td dataLabel='Name'><EntryName entry={entry} id={id} onOpen={go} /></Td>
                        <Td dataLabel='Type'>{entry.archive === true ? 'archive' : entry.type}</Td>
                        <Td dataLabel='Size' modifier='nowrap'>{entry.type === 'directory' ? '—' : formatBytes(entry.size)}</Td>
                        <Td dataLabel='Mode' className='mgc-mono'>{entry.mode}</Td>
                        <Td dataLabel='Modified' modifier='nowrap'>{formatTime(entry.mtime)}</Td>
                      </Tr>
                    ))}
                  </Tbody>
                </Table>
                {page.total === 0 && <p>This directory is empty.</p>}
                <nav aria-label='Pages of this directory' className='mgc-pager mgc-mt-sm'>
                  <Button variant='secondary' isDisabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>Previous page</Button>
                  <span data-testid='dir-range'>{page.total === 0 ? 0 : offset + 1}–{Math.min(offset + pageSize, page.total)} of {page.total}</span>
                  <Button variant='secondary' isDisabled={offset + pageSize >= page.total} onClick={() => setOffset(offset + pageSize)}>Next page</Button>
                  <div className='mgc-page-size'>
                    <FormSelect
                      id='dir-page-size' aria-label='Entries per page' value={String(pageSize)}
                      onChange={(_e, value) => { setPageSize(Number(value)); setOffset(0) }}
                    >
                      {PAGE_SIZES.map((size) => <FormSelectOption key={size} value={String(size)} label={`${size} per page`} />)}
                    </FormSelect>
                  </div>
                </nav>
              </>
              )}
    </div>
  )
}

function EntryName ({ entry, id, onOpen }: { entry: ListedEntry, id: number, onOpen: (entry: ListedEntry) => void }): React.ReactNode {
  if (entry.type === 'symlink' || entry.type === 'hardlink') {
    // Shown, not followed: the target may name anything, inside the archive or not.
    return <span data-testid='link-entry'><span className='mgc-mono'>{entry.name}</span> <span className='mgc-subtle'>{entry.type === 'symlink' ? 'symlink to' : 'hard link to'} <span className='mgc-mono'>{entry.target ?? '?'}</span></span></span>
  }
  if (entry.type === 'other') return <span className='mgc-mono'>{entry.name}</span>
  const folder = entry.type === 'directory' || entry.archive === true
  return (
    <>
      <Button variant='link' isInline className='mgc-mono' onClick={() => onOpen(entry)} aria-label={folder ? `Open directory ${entry.name}` : `View ${entry.name}`}>
        {entry.name}{folder && '/'}
      </Button>
      {entry.archive === true && <> <DownloadButton id={id} path={entry.path} name={entry.name} compact /></>}
    </>
  )
}

/** The archive, each directory up to the current one, and the open file. */
function PathCrumbs ({ dir, file, onDir }: { dir: string, file: string | undefined, onDir: (dir: string) => void }): React.ReactNode {
  const parts = dir === '' ? [] : dir.split('/')
  const crumbs = [{ label: 'archive', path: '' }, ...parts.map((part, i) => ({ label: part, path: parts.slice(0, i + 1).join('/') }))]
  const fileName = file?.slice(file.lastIndexOf('/') + 1)
  return (
    <Breadcrumb className='mgc-mb-md mgc-crumbs' aria-label='Path in the archive' data-testid='path-crumbs'>
      {crumbs.map((crumb, i) => {
        const current = fileName === undefined && i === crumbs.length - 1
        return current
          ? <BreadcrumbItem key={crumb.path} isActive>{crumb.label}</BreadcrumbItem>
          : (
            <BreadcrumbItem key={crumb.path}>
              <Button variant='link' isInline onClick={() => onDir(crumb.path)}>{crumb.label}</Button>
            </BreadcrumbItem>
            )
      })}
      {fileName !== undefined && <BreadcrumbItem isActive>{fileName}</BreadcrumbItem>}
    </Breadcrumb>
  )
}
