import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

export interface ToolAnswer {
  isError: boolean
  /** The text parts, in order. */
  texts: string[]
}

/** The SDK's own client, over Streamable HTTP to `<url>/mcp`, sending `headers` with every request. */
export async function connect (url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'must-gather-service-tests', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }))
  return client
}

export async function call (client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args })
  const content = (result.content ?? []) as Array<{ type: string, text?: string }>
  return { isError: result.isError === true, texts: content.filter((c) => c.type === 'text').map((c) => c.text ?? '') }
}

/** A tool's JSON answer; fails with the tool's error text when it was an error. */
export async function callJson<T = any> (client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const answer = await call(client, name, args)
  if (answer.isError) throw new Error(`${name} failed: ${answer.texts.join('\n')}`)
  return JSON.parse(answer.texts[0] ?? '') as T
}
