// The finding shape every scanner produces, and the catalog of rules (ids are stable: CI gates,
// SARIF consumers and stored scans refer to them).
import type { Finding, RuleInfo, Severity } from '../../contract/scan';

// The wire types are the contract's (one declaration: what the CLI prints and the app stores).
export type { Finding, RuleInfo, Severity };
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
export const severityRank = (s: Severity): number => RANK[s];
export const atLeast = (s: Severity, threshold: Severity): boolean => RANK[s] >= RANK[threshold];
export const maxSeverity = (a: Severity, b: Severity): Severity => (RANK[a] >= RANK[b] ? a : b);


/** Every rule a scanner may emit. */
export const RULES: Record<string, RuleInfo> = {
  'pickle.dangerous-import': { id: 'pickle.dangerous-import', title: 'Pickle imports a dangerous callable', help: 'Unpickling imports this name and can call it: code execution, file or network access when the file is loaded.' },
  'pickle.unknown-import': { id: 'pickle.unknown-import', title: 'Pickle imports a name outside the allow-list', help: 'Unpickling imports (and runs the module code of) a name that is not a known-safe tensor or container rebuild function. Review it before loading.' },
  'pickle.library-class': { id: 'pickle.library-class', title: 'Pickle rebuilds a class from a known ML library', help: 'Classes such as scikit-learn estimators are normal in joblib/pickle models; listed for review.' },
  'pickle.attribute-chain': { id: 'pickle.attribute-chain', title: 'Pickle import walks an attribute chain', help: 'Protocol 4 dotted names (module "a" name "b.c.d") reach attributes through other objects, a known way to reach os/eval through harmless-looking modules.' },
  'pickle.dynamic-global': { id: 'pickle.dynamic-global', title: 'Import computed at load time', help: 'STACK_GLOBAL operands are not constants, so the imported name cannot be known statically.' },
  'pickle.extension-code': { id: 'pickle.extension-code', title: 'Import through a copyreg extension code', help: 'EXT1/EXT2/EXT4 import whatever the loading process registered under that code; benign model files never use them.' },
  'pickle.build-on-global': { id: 'pickle.build-on-global', title: 'Pickle sets attributes on a global', help: 'BUILD applied to an imported class/function/module changes it in the loading process (monkeypatching).' },
  'pickle.indirect-call': { id: 'pickle.indirect-call', title: 'Pickle calls a computed value', help: 'A call whose target was itself produced inside the pickle (e.g. by getattr): the real callable is hidden.' },
  'pickle.nested-pickle': { id: 'pickle.nested-pickle', title: 'Pickle unpickles embedded bytes', help: 'Bytes inside the pickle are handed to another loader; they were scanned as well.' },
  'pickle.out-of-band': { id: 'pickle.out-of-band', title: 'Pickle refers to out-of-band buffers', help: 'NEXT_BUFFER reads data supplied outside the file; model files do not need it.' },
  'pickle.malformed': { id: 'pickle.malformed', title: 'Damaged or truncated pickle', help: 'The stream does not parse like CPython would parse it. What precedes the damage still runs when loaded; what follows was swept for imports.' },
  'pickle.hidden-import': { id: 'pickle.hidden-import', title: 'Import-like bytes after damage or in trailing data', help: 'Bytes that a lenient or differently-positioned unpickler would read as an import of a dangerous name.' },
  'pickle.trailing-data': { id: 'pickle.trailing-data', title: 'Data after the last pickle', help: 'Bytes that pickle.load ignores but another reader of the file might not.' },
  'pickle.limits': { id: 'pickle.limits', title: 'Pickle exceeds analysis limits', help: 'Parts of the stream were not fully tracked (memo, stack or value caps).' },
  'pickle.nested-unresolved': { id: 'pickle.nested-unresolved', title: 'Pickle hands unknowable data to a loader', help: 'An allow-listed name that loads more data (torch.storage._load_from_bytes, joblib\'s NDArrayWrapper) gets bytes or a file name that cannot be resolved from the file: what it loads was not scanned.' },
  'pickle.joblib-array': { id: 'pickle.joblib-array', title: 'joblib array of unknown layout', help: 'joblib.load reads raw array data (or a nested pickle) after an array wrapper; its shape or dtype cannot be known, so neither can what follows.' },
  'archive.path-traversal': { id: 'archive.path-traversal', title: 'Archive entry escapes the extraction folder', help: 'Entry names with ".." segments (zip slip) write outside the target folder when extracted.' },
  'archive.absolute-path': { id: 'archive.absolute-path', title: 'Archive entry has an absolute path', help: 'Absolute entry names (/etc/…, C:\\…) overwrite arbitrary files when extracted naively.' },
  'archive.symlink': { id: 'archive.symlink', title: 'Archive contains a link', help: 'Symbolic or hard links in archives redirect later writes or reads outside the extraction folder.' },
  'archive.bomb': { id: 'archive.bomb', title: 'Archive decompresses to far more than its size', help: 'Compression ratio or total size beyond safe limits (zip bomb), or overlapping entries.' },
  'archive.nested-depth': { id: 'archive.nested-depth', title: 'Archives nested too deep', help: 'Nested archives beyond the scan depth were not inspected.' },
  'archive.duplicate-entry': { id: 'archive.duplicate-entry', title: 'Archive has two entries with one name', help: 'Different tools pick different copies: a scanner may check one and a loader run the other.' },
  'archive.encrypted': { id: 'archive.encrypted', title: 'Encrypted archive entry', help: 'Encrypted content cannot be scanned. An encryption flag on plain data hides it from tools built on Python\'s zipfile, while torch.load ignores the flag and loads it.' },
  'archive.malformed': { id: 'archive.malformed', title: 'Damaged archive', help: 'The archive structure is invalid; parts could not be scanned.' },
  'file.polyglot': { id: 'file.polyglot', title: 'Archive hidden behind other data', help: "Python's zipfile (and loaders built on it, such as Keras) opens a zip that follows other bytes; the archive was scanned too. Do not trust the outer format's verdict alone." },
  'file.not-model': { id: 'file.not-model', title: 'Not a model file', help: 'No format Hallmark reads: nothing in it is loaded as a model. Check it is the file you meant to scan.' },
  'archive.unparsed-member': { id: 'archive.unparsed-member', title: 'Archive members that are plain data', help: 'Text, images or empty members no loader parses as code; listed so nothing in the archive goes unmentioned.' },
  'file.unscannable': { id: 'file.unscannable', title: 'Content could not be scanned', help: 'Compressed with an unsupported codec, over a size cap, or unreadable: its safety is unknown.' },
  'file.symlink': { id: 'file.symlink', title: 'Link inside a scanned folder', help: 'The link target was scanned; links leaving the folder make its content depend on the machine.' },
  'file.disguised': { id: 'file.disguised', title: 'File content does not match its extension', help: 'A pickle-based file named like a data-only format (.safetensors, .gguf, .onnx, .json…) is loaded by tools that trust the name.' },
  'keras.lambda': { id: 'keras.lambda', title: 'Keras Lambda layer', help: 'Lambda layers store Python bytecode (marshal) or source that runs when the model is loaded or called.' },
  'keras.custom-object': { id: 'keras.custom-object', title: 'Keras layer from a non-Keras module', help: 'Deserialising it imports that module.' },
  'tf.file-io-op': { id: 'tf.file-io-op', title: 'TensorFlow graph reads or writes files', help: 'Ops such as ReadFile, WriteFile, MatchingFiles run with the permissions of whoever serves the model.' },
  'tf.py-func': { id: 'tf.py-func', title: 'TensorFlow graph calls Python', help: 'PyFunc/EagerPyFunc ops call Python functions registered in the loading process.' },
  'tf.malformed': { id: 'tf.malformed', title: 'Damaged SavedModel', help: 'saved_model.pb could not be parsed.' },
  'onnx.external-data-escape': { id: 'onnx.external-data-escape', title: 'ONNX external data points outside the model folder', help: 'Paths with ".." or absolute locations make the runtime read arbitrary files.' },
  'onnx.external-data-range': { id: 'onnx.external-data-range', title: 'ONNX external data range is invalid', help: 'Offset/length outside the referenced file or missing file.' },
  'onnx.custom-domain': { id: 'onnx.custom-domain', title: 'ONNX custom operator domain', help: 'Custom ops need a native library loaded into the runtime.' },
  'onnx.limits': { id: 'onnx.limits', title: 'ONNX model exceeds protobuf limits', help: 'Sizes, counts or nesting beyond what the ONNX runtime and protobuf accept.' },
  'onnx.malformed': { id: 'onnx.malformed', title: 'Damaged ONNX protobuf', help: 'The protobuf could not be decoded.' },
  'template.injection': { id: 'template.injection', title: 'Chat template reaches Python internals', help: 'Jinja constructs (__class__, __globals__, cycler, lipsum…) that escape the template sandbox in vulnerable renderers (GGUF tokenizer.chat_template, tokenizer_config.json).' },
  'template.prompt-injection': { id: 'template.prompt-injection', title: 'Chat template injects instructions', help: 'Template text that overrides the user or system prompt, hides things from the user or embeds URLs.' },
  'template.unparseable': { id: 'template.unparseable', title: 'Chat template does not parse', help: 'Jinja cannot parse the template as written (or renderers disagree on it): it fails to render or means different things to different renderers. It was checked token by token for gadgets.' },
  'template.limits': { id: 'template.limits', title: 'Chat template not fully scanned', help: 'Parts of the template were too large or too deeply nested to parse; they were checked token by token only.' },
  'gguf.malformed': { id: 'gguf.malformed', title: 'GGUF structure is invalid', help: 'Counts, string lengths or tensor ranges that lie about the file; known to crash or exploit GGUF loaders.' },
  'safetensors.malformed': { id: 'safetensors.malformed', title: 'Safetensors structure is invalid', help: 'Header length, offsets, dtypes or shapes that do not match the data.' },
  'npy.malformed': { id: 'npy.malformed', title: 'NumPy header is ambiguous or invalid', help: 'A header key given twice (Python keeps the last), or a dtype Hallmark cannot interpret: readers may disagree on what the file holds.' },
  'npy.object-array': { id: 'npy.object-array', title: 'NumPy object array', help: 'Object arrays are pickles; loading them needs allow_pickle=True.' },
  'hf.remote-code': { id: 'hf.remote-code', title: 'Model requires trust_remote_code', help: 'auto_map in config.json makes transformers import Python files shipped with the model.' },
  'hf.shard-escape': { id: 'hf.shard-escape', title: 'Shard index points outside the model folder', help: 'weight_map entries with ".." or absolute paths.' },
  'hf.code-file': { id: 'hf.code-file', title: 'Python code shipped with the model', help: 'Code files run when remote code is trusted.' },
};

export function finding(severity: Severity, rule: string, file: string, location: string, detail: string): Finding {
  return { severity, rule, file, location, detail };
}

export const at = (offset: number, opcodeIndex?: number): string => (opcodeIndex === undefined ? `byte ${offset}` : `byte ${offset}, opcode ${opcodeIndex}`);
