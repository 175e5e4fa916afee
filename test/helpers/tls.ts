import { generate } from 'selfsigned'

export interface Pem {
  cert: string
  key: string
}

/** A self-signed certificate for 127.0.0.1 and localhost (EC: fast to make). */
export async function makeCertificate (commonName = 'localhost'): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }
    ]
  })
  return { cert: pems.cert, key: pems.private }
}
