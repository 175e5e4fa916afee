// The redaction library's public surface: load the configuration at
// start-up, then redact a gathered tree before it is packed.
export { defaultRedactionPlan, loadRedactionConfig, parseRedactionConfig } from './config.js'
export { redactTree } from './tree.js'
export type { ObfuscateRule, OmitRule, RedactionPlan, RedactionReport, RedactOptions, RuleReport } from './types.js'
