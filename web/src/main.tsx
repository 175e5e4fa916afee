import '@patternfly/react-core/dist/styles/base.css'
import './console.css'

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'

import { App } from './App'

// Light and dark follow the system, and change with it.
const dark = window.matchMedia('(prefers-color-scheme: dark)')
const applyTheme = (): void => { document.documentElement.classList.toggle('pf-v6-theme-dark', dark.matches) }
applyTheme()
dark.addEventListener('change', applyTheme)

createRoot(document.getElementById('root') as HTMLElement).render(<StrictMode><App /></StrictMode>)
