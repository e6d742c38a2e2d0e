// Static security scanning of model files.
export { scanPaths, scanBuffer, countAtLeast, worst, SCANNER_NAME, SCANNER_VERSION, type ScanOptions, type ScanReport, type FileReport } from './scanner';
export { toSarif, type SarifLog } from './sarif';
export { RULES, SEVERITIES, atLeast, type Finding, type Severity } from './rules';
export { analyzePickle, type PickleAnalysis } from './pickle';
export { classifyImport } from './pickleRules';
