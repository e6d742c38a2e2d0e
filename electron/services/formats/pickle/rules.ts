// Classification of pickle imports, and turning a PickleAnalysis into findings.
// Allow-list first: only exact (module, name) pairs that rebuild tensors, arrays and plain containers
// are silent. Known-dangerous names are critical/high. Everything else is "unknown" (medium): we never
// silently allow a name we have not reviewed.
import { canInflate } from '../compression';
import { at, finding, maxSeverity, type Finding, type Severity } from '../finding';
import { BufferSource, SliceSource, type ByteSource } from '../io';
import type { FormatRules, FormatScan } from '../scanContext';
import { analyzePickle, type GlobalRef, type NestedBytes, type PickleAnalysis, type PickleEventKind, type SiblingRef } from './analyze';
import { isTorchLegacy } from './read';

export type ImportClass =
  | { kind: 'safe' }
  | { kind: 'library'; severity: 'info'; why: string }
  | { kind: 'dangerous'; severity: Severity; why: string; rule: 'pickle.dangerous-import' | 'pickle.attribute-chain' }
  | { kind: 'unknown'; severity: 'medium'; why: string };

const TORCH_STORAGES = [
  'FloatStorage', 'DoubleStorage', 'HalfStorage', 'BFloat16Storage', 'LongStorage', 'IntStorage', 'ShortStorage',
  'CharStorage', 'ByteStorage', 'BoolStorage', 'ComplexFloatStorage', 'ComplexDoubleStorage', 'QUInt8Storage',
  'QInt8Storage', 'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage', 'UntypedStorage', 'TypedStorage',
  'Float8_e4m3fnStorage', 'Float8_e5m2Storage',
];
const TORCH_DTYPES = [
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'complex64', 'cfloat', 'complex128',
  'cdouble', 'complex32', 'chalf', 'uint8', 'int8', 'int16', 'short', 'int32', 'int', 'int64', 'long', 'bool',
  'quint8', 'qint8', 'qint32', 'quint4x2', 'quint2x4', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz',
  'float8_e5m2fnuz', 'uint16', 'uint32', 'uint64', 'strided', 'sparse_coo', 'sparse_csr', 'sparse_csc',
  'sparse_bsr', 'sparse_bsc', '_mkldnn', 'contiguous_format', 'channels_last', 'channels_last_3d',
  'preserve_format', 'per_tensor_affine', 'per_channel_affine', 'per_tensor_symmetric', 'per_channel_symmetric',
  'per_channel_affine_float_qparams', 'Size', 'device', 'dtype', 'layout', 'memory_format', 'qscheme',
];

/** Exact names that only rebuild data. */
const SAFE = new Set<string>([
  ...['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_parameter', '_rebuild_parameter_with_state',
    '_rebuild_qtensor', '_rebuild_sparse_tensor', '_rebuild_sparse_csr_tensor', '_rebuild_nested_tensor',
    '_rebuild_device_tensor_from_numpy', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass',
    '_rebuild_xla_tensor', '_rebuild_mps_tensor', '_rebuild_typed_storage', '_rebuild_device_tensor_from_cpu_tensor']
    .map((n) => `torch._utils.${n}`),
  'torch._tensor._rebuild_from_type', 'torch._tensor._rebuild_from_type_v2', 'torch._tensor.Tensor', 'torch.Tensor',
  'torch.nn.parameter.Parameter', 'torch.nn.parameter.Buffer', 'torch.nn.parameter.UninitializedParameter',
  'torch.storage.UntypedStorage', 'torch.storage.TypedStorage', 'torch.storage._load_from_bytes',
  'torch.serialization._get_layout',
  ...TORCH_STORAGES.map((n) => `torch.${n}`),
  ...TORCH_DTYPES.map((n) => `torch.${n}`),
  'collections.OrderedDict', 'collections.defaultdict', 'collections.deque', 'collections.Counter',
  'builtins.set', 'builtins.frozenset', 'builtins.list', 'builtins.dict', 'builtins.tuple', 'builtins.int',
  'builtins.float', 'builtins.complex', 'builtins.bool', 'builtins.str', 'builtins.bytes', 'builtins.bytearray',
  'builtins.slice', 'builtins.range', 'builtins.object', 'builtins.NoneType', 'builtins.Ellipsis',
  'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__', '_codecs.encode', 'codecs.encode',
  'numpy.ndarray', 'numpy.dtype', 'numpy.matrix', 'numpy.matrixlib.defmatrix.matrix', 'numpy.core._internal._reconstruct',
  'numpy._core._internal._reconstruct', 'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar', 'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer', 'numpy.ma.core._mareconstruct', 'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__generator_ctor', 'numpy.random._pickle.__bit_generator_ctor',
  'joblib.numpy_pickle.NumpyArrayWrapper', 'joblib.numpy_pickle.NDArrayWrapper', 'joblib.numpy_pickle.ZNDArrayWrapper',
  'joblib.numpy_pickle_compat.NDArrayWrapper', 'joblib.numpy_pickle_compat.ZNDArrayWrapper',
  'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone',
  'decimal.Decimal', 'fractions.Fraction', 'uuid.UUID', 'argparse.Namespace', 'types.SimpleNamespace',
  'pathlib.PosixPath', 'pathlib.WindowsPath', 'pathlib.PurePosixPath', 'pathlib.PureWindowsPath', 'pathlib.Path',
]);

/** numpy scalar types and numpy 2 dtype classes: `numpy.float32`, `numpy.dtypes.Float32DType`. */
const NUMPY_SCALAR = /^(float(16|32|64|128)?|u?int(8|16|32|64)?|complex(64|128|256)?|bool_?|str_|bytes_|void|object_|datetime64|timedelta64|half|single|double|longdouble|intc|uintc|short|ushort|byte|ubyte|longlong|ulonglong|intp|uintp)$/;

/** Module (or package prefix) → severity for every name in it. */
const DANGEROUS_MODULES: Record<string, Severity> = {
  os: 'critical', posix: 'critical', nt: 'critical', subprocess: 'critical', _posixsubprocess: 'critical',
  pty: 'critical', runpy: 'critical', sys: 'critical', importlib: 'critical', imp: 'critical', zipimport: 'critical',
  pickle: 'critical', _pickle: 'critical', cPickle: 'critical', dill: 'critical', cloudpickle: 'critical',
  marshal: 'critical', types: 'critical', ctypes: 'critical', _ctypes: 'critical', code: 'critical', codeop: 'critical',
  pdb: 'critical', bdb: 'critical', timeit: 'critical', cProfile: 'critical', profile: 'critical', trace: 'critical',
  pydoc: 'critical', multiprocessing: 'critical', _thread: 'high', thread: 'high', threading: 'high',
  commands: 'critical', popen2: 'critical', platform: 'high', webbrowser: 'critical', pip: 'critical', ensurepip: 'critical',
  setuptools: 'critical', distutils: 'critical', venv: 'critical', site: 'critical', sysconfig: 'high',
  socket: 'critical', _socket: 'critical', socketserver: 'critical', SocketServer: 'critical', asyncio: 'critical',
  http: 'high', httplib: 'high', urllib: 'high', urllib2: 'high', urllib3: 'high', requests: 'high', ftplib: 'high',
  smtplib: 'high', telnetlib: 'high', xmlrpc: 'high', xmlrpclib: 'high', ssl: 'high', select: 'high',
  shutil: 'critical', tempfile: 'high', glob: 'high', fileinput: 'high', io: 'high', _io: 'high', mmap: 'high',
  fcntl: 'high', signal: 'high', resource: 'high', gc: 'high', shelve: 'critical', dbm: 'high', sqlite3: 'high',
  tarfile: 'high', zipfile: 'high', gzip: 'high', bz2: 'high', lzma: 'high', zlib: 'medium', linecache: 'high',
  logging: 'high', idlelib: 'critical', tkinter: 'high', Tkinter: 'high', lib2to3: 'high', inspect: 'high',
  ast: 'high', builtins_: 'critical', yaml: 'high', jinja2: 'high', mako: 'high', pexpect: 'critical',
  paramiko: 'critical', fabric: 'critical', uvicorn: 'high', flask: 'high', IPython: 'critical', ipykernel: 'critical',
  'torch.hub': 'critical', 'torch.jit': 'high', 'torch._inductor': 'critical', 'torch.utils.cpp_extension': 'critical',
  'torch._dynamo': 'high', 'torch.package': 'critical', 'torch.classes': 'high', 'torch.ops': 'high',
  'torch.distributed': 'high', 'torch.multiprocessing': 'critical', 'torch.testing': 'high', 'torch.utils.bottleneck': 'critical',
  'torch.utils.collect_env': 'critical', 'torch.utils.data.datapipes': 'high',
  'numpy.testing': 'critical', 'numpy.f2py': 'critical', 'numpy.distutils': 'critical', 'numpy.ctypeslib': 'critical',
  'numpy.lib.npyio': 'high', 'numpy.lib.format': 'high', 'pandas.io': 'high',
  'tensorflow.io': 'high', 'tensorflow.python.ops.script_ops': 'critical',
  'transformers.dynamic_module_utils': 'critical', 'huggingface_hub': 'high',
  // found by probing bypasses reported against other scanners: each runs code, a process or a download
  doctest: 'critical', 'mlflow.projects': 'critical', 'mlflow.utils.process': 'critical', aiohttp: 'high', httpx: 'high',
  'keras.utils.data_utils': 'high', 'keras.src.utils.file_utils': 'high',
};

/** Specific names in otherwise-unlisted modules. */
const DANGEROUS_NAMES: Record<string, Severity> = {
  'uuid._get_command_stdout': 'critical', 'keras.utils.get_file': 'high', 'tensorflow.keras.utils.get_file': 'high',
  'builtins.eval': 'critical', 'builtins.exec': 'critical', 'builtins.execfile': 'critical', 'builtins.compile': 'critical',
  'builtins.open': 'critical', 'builtins.file': 'critical', 'builtins.getattr': 'critical', 'builtins.setattr': 'critical',
  'builtins.delattr': 'critical', 'builtins.__import__': 'critical', 'builtins.globals': 'critical', 'builtins.locals': 'critical',
  'builtins.vars': 'critical', 'builtins.input': 'high', 'builtins.breakpoint': 'critical', 'builtins.help': 'high',
  'builtins.exit': 'high', 'builtins.quit': 'high', 'builtins.reload': 'critical', 'builtins.apply': 'critical',
  'builtins.memoryview': 'high', 'builtins.type': 'high', 'builtins.super': 'high', 'builtins.classmethod': 'high',
  'builtins.staticmethod': 'high', 'builtins.property': 'high', 'builtins.print': 'medium', 'builtins.map': 'high',
  'builtins.filter': 'high', 'builtins.iter': 'medium', 'builtins.next': 'high', 'builtins.callable': 'medium',
  'builtins.hasattr': 'high', 'builtins.dir': 'medium', 'builtins.id': 'medium',
  'operator.attrgetter': 'critical', 'operator.methodcaller': 'critical', 'operator.itemgetter': 'high',
  'operator.getitem': 'high', 'operator.setitem': 'high', 'operator.delitem': 'high', 'operator.call': 'critical',
  'functools.partial': 'high', 'functools.reduce': 'high', 'functools.partialmethod': 'high',
  'codecs.open': 'high', 'codecs.decode': 'medium', '_codecs.decode': 'medium',
  'torch.load': 'high', 'torch.serialization.load': 'high', 'torch.save': 'high', 'torch.serialization.save': 'high',
  'torch.from_file': 'high', 'torch._C._load_for_lite_interpreter': 'high', 'torch.compile': 'high',
  'numpy.load': 'high', 'numpy.loadtxt': 'high', 'numpy.fromfile': 'high', 'numpy.save': 'high', 'numpy.memmap': 'high',
  'numpy.core.memmap.memmap': 'high', 'numpy.genfromtxt': 'high', 'numpy.tofile': 'high',
  'pandas.read_pickle': 'critical', 'pandas.eval': 'critical', 'pandas.core.computation.eval.eval': 'critical',
  'pandas.read_csv': 'high', 'joblib.load': 'critical', 'joblib.dump': 'high', 'collections.namedtuple': 'medium',
  'keras.models.load_model': 'high', 'tensorflow.keras.models.load_model': 'high',
  'copyreg.add_extension': 'critical', 'copy_reg.add_extension': 'critical', 'copyreg.dispatch_table': 'high',
};

/** Path segments that, anywhere in a dotted name, mean the chain reaches interpreter internals. */
const DANGEROUS_SEGMENTS = new Set([
  'os', 'sys', 'subprocess', 'builtins', '__builtins__', '__builtin__', 'eval', 'exec', 'system', 'popen', 'spawn',
  '__import__', 'import_module', 'getattr', 'setattr', 'open', 'compile', 'globals', 'locals', 'importlib', 'runpy',
  'pty', 'socket', 'shutil', 'pickle', 'marshal', 'ctypes', 'execv', 'execve', 'fork', 'remove', 'unlink', 'rmtree',
]);

/** Packages whose CamelCase classes are normal in pickled models (estimators, configs). */
const LIBRARY_PREFIXES = [
  'sklearn.', 'scipy.sparse.', 'scipy.stats.', 'pandas.core.', 'pandas._libs.', 'xgboost.', 'lightgbm.', 'catboost.',
  'torch.nn.modules.', 'torch.optim.', 'torch.ao.', 'transformers.', 'tokenizers.', 'omegaconf.', 'timm.', 'torchvision.',
  'numpy.', 'torch.nn.utils.', 'torch.distributions.', 'sentence_transformers.', 'peft.', 'accelerate.', 'lightning.',
  'pytorch_lightning.', 'statsmodels.', 'imblearn.', 'category_encoders.', 'gensim.', 'spacy.', 'fastai.',
];

/** Python 2 names that `fix_imports` maps to Python 3 modules when unpickling. */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', commands: 'subprocess', cPickle: 'pickle', exceptions: 'builtins',
  urllib2: 'urllib.request', httplib: 'http.client', thread: '_thread', SocketServer: 'socketserver',
  xmlrpclib: 'xmlrpc.client', UserDict: 'collections', UserList: 'collections', UserString: 'collections',
  StringIO: 'io', cStringIO: 'io', Queue: 'queue', Tkinter: 'tkinter', __builtins__: 'builtins',
};
const PY2_NAMES: Record<string, string> = {
  '__builtin__.xrange': 'builtins.range', '__builtin__.reduce': 'functools.reduce', '__builtin__.intern': 'sys.intern',
  '__builtin__.unicode': 'builtins.str', '__builtin__.long': 'builtins.int', '__builtin__.basestring': 'builtins.str',
  '__builtin__.unichr': 'builtins.chr', 'itertools.imap': 'builtins.map', 'itertools.izip': 'builtins.zip',
  'itertools.ifilter': 'builtins.filter',
};

function moduleSeverity(module: string): Severity | null {
  const parts = module.split('.');
  let best: Severity | null = null;
  for (let i = parts.length; i >= 1; i--) {
    const s = DANGEROUS_MODULES[parts.slice(0, i).join('.')];
    if (s) best = best ? maxSeverity(best, s) : s;
  }
  return best;
}

function normalize(module: string, name: string): [string, string] {
  const mapped = PY2_NAMES[`${module}.${name}`];
  if (mapped) {
    const i = mapped.lastIndexOf('.');
    return [mapped.slice(0, i), mapped.slice(i + 1)];
  }
  return [PY2_MODULES[module] ?? module, name];
}

/** What importing `module.name` through pickle means. */
export function classifyImport(rawModule: string, rawName: string): ImportClass {
  const [module, name] = normalize(rawModule, rawName);
  const fq = `${module}.${name}`;
  const display = rawModule === module ? fq : `${rawModule}.${rawName} (= ${fq})`;

  if (name.includes('.') || name.includes('<')) {
    // Protocol 4 qualified names: `getattr` walks every segment, so judge every segment.
    const segs = [...module.split('.'), ...name.split('.')];
    const bad = segs.filter((s) => DANGEROUS_SEGMENTS.has(s) || /^__\w+__$/.test(s));
    if (bad.length) return { kind: 'dangerous', severity: 'critical', rule: 'pickle.attribute-chain', why: `${display} walks attributes (${bad.join(', ')}) to reach interpreter internals` };
    const first = name.split('.')[0]!;
    const viaModule = moduleSeverity(`${module}.${first}`);
    if (viaModule) return { kind: 'dangerous', severity: viaModule, rule: 'pickle.attribute-chain', why: `${display} reaches module ${module}.${first} through attributes` };
    return { kind: 'dangerous', severity: 'high', rule: 'pickle.attribute-chain', why: `${display} reaches a nested attribute; benign model pickles import top-level names` };
  }
  if (SAFE.has(fq)) return { kind: 'safe' };
  // TorchScript archives: `__torch__.*` classes and torch.jit._pickle builders are resolved by the
  // TorchScript (C++) importer, never imported as Python modules.
  if (module === '__torch__' || module.startsWith('__torch__.')) return { kind: 'safe' };
  if (module === 'torch.jit._pickle' && /^(build_\w+|restore_type_tag)$/.test(name)) return { kind: 'safe' };
  if ((module === 'numpy' || module === 'numpy.core.numerictypes') && NUMPY_SCALAR.test(name)) return { kind: 'safe' };
  if (module === 'numpy.dtypes' && /^\w+DType$/.test(name)) return { kind: 'safe' };
  const named = DANGEROUS_NAMES[fq] ?? DANGEROUS_NAMES[`${rawModule}.${rawName}`];
  if (named) return { kind: 'dangerous', severity: named, rule: 'pickle.dangerous-import', why: `${display} ${why(fq)}` };
  const mod = moduleSeverity(module) ?? moduleSeverity(rawModule);
  if (mod) return { kind: 'dangerous', severity: mod, rule: 'pickle.dangerous-import', why: `${display} comes from ${module.split('.')[0]}, ${why(fq)}` };
  if (module === 'builtins') return { kind: 'unknown', severity: 'medium', why: `${display} is a builtin outside the allow-list` };
  if (/^[A-Z][A-Za-z0-9]*$/.test(name) && LIBRARY_PREFIXES.some((p) => module.startsWith(p))) {
    return { kind: 'library', severity: 'info', why: `${display} is a class from a known ML library` };
  }
  return { kind: 'unknown', severity: 'medium', why: `${display} is not on the allow-list; importing it runs that module's code and the name may be callable` };
}

function why(fq: string): string {
  if (/builtins\.(eval|exec|compile|execfile)$/.test(fq)) return 'executes Python source';
  if (/^(os|posix|nt|subprocess|pty|commands|popen2|mlflow)\b/.test(fq) || /\.(system|popen|spawn\w*|exec\w*|_get_command_stdout)$/.test(fq)) return 'runs shell commands or programs';
  if (/\.get_file$/.test(fq)) return 'downloads files';
  if (/builtins\.(eval|exec|compile|execfile)$/.test(fq) || /^(runpy|code|codeop|timeit|pdb|cProfile|profile|trace|pydoc|doctest)\b/.test(fq)) return 'executes Python source';
  if (/builtins\.(getattr|setattr|delattr|globals|locals|vars|__import__)$/.test(fq) || /^(importlib|imp|operator)\b/.test(fq)) return 'reaches arbitrary attributes or modules';
  if (/^(pickle|_pickle|cPickle|dill|cloudpickle|marshal|joblib|torch\.load|torch\.serialization|numpy\.load|pandas\.read_pickle|shelve)\b/.test(fq)) return 'deserialises more data (a nested, unscanned load)';
  if (/^(socket|_socket|http|urllib|requests|ftplib|smtplib|telnetlib|xmlrpc|webbrowser|asyncio|ssl|aiohttp|httpx)\b/.test(fq)) return 'opens network connections';
  if (/^(types|ctypes|_ctypes)\b/.test(fq)) return 'builds code objects or calls native memory';
  if (/^(pip|ensurepip|setuptools|distutils|venv|site)\b/.test(fq) || fq.startsWith('torch.hub')) return 'installs or downloads and runs code';
  if (/^(shutil|tempfile|glob|io|_io|fileinput|mmap|os\.path)\b/.test(fq) || /\.open$/.test(fq)) return 'reads, writes or deletes files';
  return 'is a known code-execution or I/O primitive';
}

const nameOf = (g: Pick<GlobalRef, 'module' | 'name'>): string => `${g.module}.${g.name}`;

/**
 * What each analyser event reports. Persistent ids outside torch files and nested loads are not
 * findings of their own: the imports they lead to are classified like any other.
 */
const EVENT_FINDINGS: Record<PickleEventKind, { severity: Severity; rule: string } | null> = {
  'dynamic-global': { severity: 'high', rule: 'pickle.dynamic-global' },
  'extension-code': { severity: 'high', rule: 'pickle.extension-code' },
  'build-on-global': { severity: 'high', rule: 'pickle.build-on-global' },
  'indirect-call': { severity: 'high', rule: 'pickle.indirect-call' },
  'out-of-band-buffer': { severity: 'medium', rule: 'pickle.out-of-band' },
  'persistent-id-outside-torch': null,
  'nested-load': null,
  'nested-unresolved': { severity: 'high', rule: 'pickle.nested-unresolved' },
  'opaque-array': { severity: 'high', rule: 'pickle.joblib-array' },
};

/** Findings for one analysed pickle stream. `file` names the stream (path or `outer!member`). */
export function pickleFindings(a: PickleAnalysis, file: string): Finding[] {
  const out: Finding[] = [];
  for (const g of a.globals) {
    const c = classifyImport(g.module, g.name);
    if (c.kind === 'safe') continue;
    const calls = g.calls.length
      ? `; called ${g.calls.filter((x) => x.opcode).length}× (first ${g.calls[0]!.opcode} at byte ${g.calls[0]!.offset} with ${g.calls[0]!.args})`
      : '; imported but not called directly';
    const loc = at(g.offset, g.opcodeIndex);
    const how = `${g.opcode}${g.count > 1 ? `, ${g.count} references` : ''}`;
    const trunc = g.truncated ? ' (name truncated: it is longer than any real module path)' : '';
    if (c.kind === 'dangerous') out.push(finding(c.severity, c.rule, file, loc, `${c.why}${trunc} [${how}${calls}]`));
    else if (c.kind === 'library') out.push(finding('info', 'pickle.library-class', file, loc, `${c.why} [${how}]`));
    else out.push(finding(g.truncated ? 'high' : 'medium', 'pickle.unknown-import', file, loc, `${c.why}${trunc} [${how}${calls}]`));
  }
  for (const e of a.events) {
    const r = EVENT_FINDINGS[e.kind];
    if (r) out.push(finding(r.severity, r.rule, file, at(e.offset, e.opcodeIndex), e.detail));
  }
  if (a.damage) {
    const d = a.damage;
    out.push(finding('medium', 'pickle.malformed', file, at(d.offset, d.opcodeIndex),
      `${d.message}; ${a.globals.length} import(s) found before the damage are reported, the rest of the stream was swept for import patterns`));
  }
  const seen = new Set(a.globals.map(nameOf));
  for (const s of a.sweptGlobals) {
    if (seen.has(nameOf(s))) continue;
    seen.add(nameOf(s));
    const c = classifyImport(s.module, s.name);
    if (c.kind === 'dangerous') out.push(finding(c.severity, 'pickle.hidden-import', file, at(s.offset), `bytes after the damaged point encode an import of ${c.why}`));
  }
  if (a.trailing) {
    out.push(finding('low', 'pickle.trailing-data', file, at(a.trailing.offset), `${a.trailing.length} bytes follow the last pickle; pickle.load ignores them but a second load() would read them`));
  }
  for (const l of a.limits) out.push(finding('low', 'pickle.limits', file, 'stream', l));
  return out;
}

// ---- scanning pickle-family files ---------------------------------------------------------

/** Names users load with pickle/torch/joblib: an unrecognisable file under one is analysed in full. */
export const PICKLE_NAME = /\.(pkl|pickle|pt|pth|ckpt|joblib|dill|sav)$/i;
/** joblib's array wrappers: joblib.load reads data after them that pickle.load reads as opcodes. */
const JOBLIB_WRAPPER = /^(Numpy|Z?ND)ArrayWrapper$/;
/** Findings about a stream's shape, not about code it runs: only the loader that reads it that way reports them. */
export const SHAPE_RULES = new Set(['pickle.malformed', 'pickle.trailing-data', 'pickle.limits', 'pickle.hidden-import']);
const CODE_EVENTS = new Set(['dynamic-global', 'extension-code', 'build-on-global', 'indirect-call', 'nested-unresolved', 'opaque-array']);

/**
 * Whether loading the stream reaches code before it fails: a dangerous import, a call of a name off the
 * allow-list, a construct with no benign use, or bytes handed to another loader. Random bytes that
 * happen to parse for a few opcodes do none of these.
 */
export function reachesCode(a: PickleAnalysis): boolean {
  if (a.nested.length || a.siblings.length || a.events.some((e) => CODE_EVENTS.has(e.kind))) return true;
  return a.globals.some((g) => {
    const c = classifyImport(g.module, g.name);
    return c.kind === 'dangerous' || (c.kind === 'unknown' && g.calls.length > 0);
  });
}

/** pickle, joblib and legacy torch files: inflated when compressed, then judged as each loader reads them. */
export const rules: FormatRules = {
  async scan(s) {
    const d = s.detection;
    let src = s.src;
    if (d.compression) {
      if (!canInflate(d.compression)) {
        s.out.push(finding('medium', 'file.unscannable', s.display, 'file', `${d.compression}-compressed pickle: cannot decompress`));
        return;
      }
      try {
        const buf = await s.inflate(s.src, d.compression);
        if (s.src.size > 0 && buf.length / s.src.size > s.limits.bombRatio && buf.length > 64 << 20) s.out.push(finding('high', 'archive.bomb', s.display, 'file', `${d.compression} stream inflates ${s.src.size} bytes to ${buf.length} (ratio ${Math.round(buf.length / s.src.size)})`));
        src = new BufferSource(`${s.display}`, buf);
      } catch (e) {
        s.out.push(finding('high', 'archive.bomb', s.display, 'file', `${(e as Error).message}: refusing to inflate further (content unscanned)`));
        return;
      }
    }
    await scanStreams(s, src, d.format === 'joblib');
  },
};

/**
 * joblib.load reads a wrapper's array bytes as data, pickle.load and torch.load as opcodes: the file is
 * judged both ways. The reading its format suggests reports everything, the other what reaches code.
 */
async function scanStreams(s: FormatScan, src: ByteSource, joblib: boolean): Promise<void> {
  const out = s.out;
  const torch = isTorchLegacy(await src.read(0, 14));
  const a = await analyzePickle(src, { torch, joblib });
  out.push(...pickleFindings(a, s.display));
  await scanNested(s, src, a.nested);
  await scanSiblings(s, a.siblings);
  if (!a.globals.some((g) => JOBLIB_WRAPPER.test(g.name))) return;
  const b = await analyzePickle(src, { torch, joblib: !joblib, sweep: false });
  if (!reachesCode(b)) return;
  const seen = new Set(out.map((f) => `${f.rule}\0${f.location}`));
  for (const f of pickleFindings(b, s.display)) if (!SHAPE_RULES.has(f.rule) && !seen.has(`${f.rule}\0${f.location}`)) out.push({ ...f, detail: `${f.detail} (${joblib ? 'as pickle.load and torch.load read it' : 'as joblib.load reads it'})` });
  const known = new Set(a.nested.map((n) => n.offset));
  await scanNested(s, src, b.nested.filter((n) => !known.has(n.offset)));
  await scanSiblings(s, b.siblings);
}

/** A pickle-looking name whose bytes do not parse: report the damage (and any import patterns). */
export async function scanUnrecognised(s: FormatScan): Promise<void> {
  if (s.src.size === 0) return;
  const a = await analyzePickle(s.src, { maxPickles: 1 });
  s.out.push(...pickleFindings(a, s.display));
}

/** Bytes handed to nested loaders (torch.storage._load_from_bytes) are whole files: scan them. */
export async function scanNested(s: FormatScan, src: ByteSource, nested: NestedBytes[]): Promise<void> {
  const { display, out, limits } = s;
  for (const n of nested.slice(0, 100)) {
    if (s.depth + 1 > limits.maxDepth) {
      out.push(finding('medium', 'archive.nested-depth', display, at(n.offset), `bytes passed to ${n.via} nest deeper than ${limits.maxDepth} levels: not scanned`));
      continue;
    }
    const name = `${display}!<bytes@${n.offset}>`;
    let inner: ByteSource;
    if (n.encoding === 'latin1-in-utf8') {
      // Protocol 2 writes bytes as _codecs.encode(<latin-1 text>, 'latin1'): undo that to get the bytes.
      if (n.length > limits.maxMemberBytes) {
        out.push(finding('medium', 'file.unscannable', display, at(n.offset), `${n.length} bytes passed to ${n.via} exceed the scan cap`));
        continue;
      }
      inner = new BufferSource(name, Buffer.from((await src.read(n.offset, n.length)).toString('utf8'), 'latin1'));
    } else inner = new SliceSource(name, src, n.offset, n.length);
    out.push(finding('info', 'pickle.nested-pickle', display, at(n.offset), `${n.length} bytes are passed to ${n.via}, which unpickles them: scanned as ${name}`));
    await s.scan(inner, inner.name);
  }
}

/** Files a joblib NDArrayWrapper makes joblib.load open with numpy.load(allow_pickle=True): scanned, or reported. */
async function scanSiblings(s: FormatScan, refs: SiblingRef[]): Promise<void> {
  const { display, out, limits } = s;
  for (const r of refs.slice(0, 100)) {
    const target = s.sibling ? await s.sibling(r.path) : null;
    if (!target || target === 'outside' || s.depth + 1 > limits.maxDepth) {
      const why = !s.sibling ? 'inside an archive there is no folder to find it in' : target === 'outside' ? 'it resolves outside the folder' : target ? `it nests deeper than ${limits.maxDepth} levels` : 'the file is missing';
      out.push(finding('high', 'pickle.nested-unresolved', display, at(r.offset), `${r.via} makes joblib.load open ${JSON.stringify(r.path)} with numpy.load(allow_pickle=True); ${why}, so what it loads was not scanned`));
      continue;
    }
    const name = `${display}!<${r.path}>`;
    out.push(finding('info', 'pickle.nested-pickle', display, at(r.offset), `${r.via} makes joblib.load open ${JSON.stringify(r.path)} with numpy.load(allow_pickle=True): scanned as ${name}`));
    const f = await s.open(target.path);
    try {
      await s.scan(f, name, { detached: true });
    } finally {
      await f.close();
    }
  }
}
