import { fileURLToPath } from 'node:url'

import { defineConfig } from 'vite'

// The console is built into dist/console, next to the compiled server, which serves it (src/http/plugins/console.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Fonts and images stay files: the Content-Security-Policy allows 'self', not data: URIs.
    assetsInlineLimit: 0,
    // Every browser the console supports has modulepreload; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
    sourcemap: false
  }
})
