// Format detection and inspection: one reader per format in this folder.
export { detectFormat, detectSource, detectFolder, detectBuffer } from './detect';
export { inspectPath, inspectSource } from './inspect';
export { FormatError, FileSource, BufferSource, type ByteSource } from './io';
export { FORMAT_IDS, type FormatId, type Inspection, type Detection } from './types';
