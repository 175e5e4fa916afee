import {
  ActionGroup,
  Alert,
  Button,
  Checkbox,
  ExpandableSection,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  PageSection,
  TextInput,
  Title
} from '@patternfly/react-core'
import { useEffect, useRef, useState } from 'react'

import { apiFetch, type ApiError, errorOf, type Execution, getJson } from '../api'
import { executionPath, followLink, navigate } from '../router'

interface Field {
  name: string
  label: string
  kind: 'text' | 'boolean' | 'integer'
  placeholder?: string
}

/** Every field POST /must-gather takes: the common ones first, the rest under "Advanced". */
const COMMON: Field[] = [
  { name: 'image', label: 'Image(s)', kind: 'text', placeholder: 'quay.io/kubev2v/forklift-must-gather, …' },
  { name: 'command', label: 'Command', kind: 'text', placeholder: 'e.g. PLAN=plan1 /usr/bin/targeted' },
  { name: 'timeout', label: 'Timeout', kind: 'text', placeholder: 'e.g. 15m' },
  { name: 'custom-name', label: 'Custom name', kind: 'text', placeholder: 'e.g. plan:plan1' },
  { name: 'redact', label: 'Redact IP and MAC addresses, domains and configured patterns', kind: 'boolean' }
]
const ADVANCED: Field[] = [
  { name: 'image-stream', label: 'Image stream(s)', kind: 'text', placeholder: 'namespace/name:tag' },
  { name: 'all-images', label: 'All images', kind: 'boolean' },
  { name: 'node-name', label: 'Node name', kind: 'text' },
  { name: 'node-selector', label: 'Node selector', kind: 'text', placeholder: 'e.g. node-role.kubernetes.io/worker' },
  { name: 'host-network', label: 'Host network', kind: 'boolean' },
  { name: 'source-dir', label: 'Source directory', kind: 'text', placeholder: '/must-gather/' },
  { name: 'since', label: 'Since', kind: 'text', placeholder: 'e.g. 2h' },
  { name: 'since-time', label: 'Since time', kind: 'text', placeholder: 'e.g. 2026-01-31T12:00:00Z' },
  { name: 'run-namespace', label: 'Run namespace', kind: 'text' },
  { name: 'volume-percentage', label: 'Volume percentage', kind: 'integer' },
  { name: 'keep', label: 'Keep namespace and pods', kind: 'boolean' },
  { name: 'server', label: 'API server', kind: 'text', placeholder: 'https://api.cluster.example.com:6443' }
]

type Values = Record<string, string | boolean>

/** Each field's description, read from the API description (the schemas the service validates with). */
async function fieldHelp (): Promise<Record<string, string>> {
  const document = await getJson<any>('/openapi.json')
  const properties = document?.paths?.['/must-gather']?.post?.requestBody?.content?.['application/json']?.schema?.properties ?? {}
  const help: Record<string, string> = {}
  for (const [name, schema] of Object.entries<any>(properties)) {
    const described = schema?.description ?? (schema?.anyOf as any[] | undefined)?.find((s) => typeof s?.description === 'string')?.description
    if (typeof described === 'string') help[name] = described
  }
  return help
}

/** The request body: only what the person filled in (empty means "the server's default"). */
export function requestBody (values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const field of [...COMMON, ...ADVANCED]) {
    const value = values[field.name]
    if (field.kind === 'boolean') {
      if (value === true) body[field.name] = true
    } else if (typeof value === 'string' && value.trim() !== '') {
      body[field.name] = field.kind === 'integer' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value.trim()
    }
  }
  return body
}

export function NewExecutionPage (): React.ReactNode {
  const [values, setValues] = useState<Values>({})
  const [help, setHelp] = useState<Record<string, string>>({})
  const [error, setError] = useState<ApiError | undefined>()
  const [pending, setPending] = useState(false)
  const [advancedOpen, setAdvancedOpen] = useState(false)
  // A second submit before React re-renders (a double click) must not post twice.
  const submitting = useRef(false)

  useEffect(() => {
    fieldHelp().then(setHelp, () => {})
  }, [])

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault()
    if (submitting.current) return
    submitting.current = true
    setPending(true)
    setError(undefined)
    try {
      const response = await apiFetch('/must-gather', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(requestBody(values))
      })
      if (response.status === 201) {
        const created = await response.json() as Execution
        navigate(executionPath(created.id))
        return
      }
      const refusal = await errorOf(response)
      setError(refusal)
      if (ADVANCED.some((f) => f.name === refusal.field)) setAdvancedOpen(true)
      // Take the person to the field to fix, once it is on the page.
      setTimeout(() => document.getElementById(`field-${refusal.field ?? ''}`)?.focus(), 0)
    } catch (caught) {
      setError(caught as ApiError)
    } finally {
      submitting.current = false
      setPending(false)
    }
  }

  const fieldError = (name: string): string | undefined => error?.field === name ? error.message : undefined
  const knownField = error?.field !== undefined && [...COMMON, ...ADVANCED].some((f) => f.name === error.field)

  const render = (field: Field): React.ReactNode => {
    const id = `field-${field.name}`
    const problem = fieldError(field.name)
    const helperText = (
      <FormHelperText>
        <HelperText>
          {problem !== undefined
            ? <HelperTextItem variant='error' id={`${id}-error`}>{problem}</HelperTextItem>
            : <HelperTextItem id={`${id}-help`}>{help[field.name] ?? ''}</HelperTextItem>}
        </HelperText>
      </FormHelperText>
    )
    const describedBy = problem !== undefined ? `${id}-error` : `${id}-help`
    if (field.kind === 'boolean') {
      return (
        <FormGroup key={field.name} fieldId={id} role='group' isStack>
          <Checkbox
            id={id}
            label={field.label}
            isChecked={values[field.name] === true}
            onChange={(_event, checked) => setValues({ ...values, [field.name]: checked })}
            aria-describedby={describedBy}
            aria-invalid={problem !== undefined}
          />
          {helperText}
        </FormGroup>
      )
    }
    return (
      <FormGroup key={field.name} label={field.label} fieldId={id}>
        <TextInput
          id={id}
          name={field.name}
          type={field.kind === 'integer' ? 'number' : 'text'}
          value={typeof values[field.name] === 'string' ? values[field.name] as string : ''}
          onChange={(_event, value) => setValues({ ...values, [field.name]: value })}
          validated={problem !== undefined ? 'error' : 'default'}
          aria-describedby={describedBy}
          {...(field.placeholder !== undefined && { placeholder: field.placeholder })}
        />
        {helperText}
      </FormGroup>
    )
  }

  return (
    <>
      <PageSection>
        <Title headingLevel='h1'>New must-gather</Title>
        <p className='mgc-mt-sm'>Everything is optional: an empty form runs with the service's defaults.</p>
      </PageSection>
      <PageSection>
        <Form onSubmit={(event) => { submit(event).catch(() => {}) }} style={{ maxWidth: '52rem' }} aria-label='New must-gather'>
          {error !== undefined && !knownField && (
            <Alert variant='danger' isInline title='The service refused the request' data-testid='form-error'>{error.message}</Alert>
          )}
          {error !== undefined && knownField && (
            <Alert variant='danger' isInline isPlain title={`Check the field "${error.field ?? ''}": ${error.message}`} />
          )}
          {COMMON.map(render)}
          <ExpandableSection
            toggleText={advancedOpen ? 'Hide advanced options' : 'Advanced options'}
            isExpanded={advancedOpen}
            onToggle={(_event, open) => setAdvancedOpen(open)}
          >
            <div className='pf-v6-c-form'>{ADVANCED.map(render)}</div>
          </ExpandableSection>
          <ActionGroup>
            <Button type='submit' variant='primary' isDisabled={pending} isLoading={pending}>Start must-gather</Button>
            <Button variant='link' component='a' href='/' onClick={followLink}>Cancel</Button>
          </ActionGroup>
        </Form>
      </PageSection>
    </>
  )
}
