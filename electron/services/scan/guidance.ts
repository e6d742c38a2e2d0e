// What each finding means for the person about to load the file, and what to do about it: the "what
// happens" and "how to fix" of GitHub code scanning's rule help. Keyed by rule id, then by family.
import type { RuleInfo } from '../../contract/scan';
import { RULES } from '../formats/finding';

interface Guidance { impact: string; fix: string }

const PICKLE_FIX = 'Do not load it with pickle.load, torch.load or joblib.load. Prefer a safetensors (or GGUF/ONNX) copy of the weights; '
  + 'if you must read a PyTorch checkpoint, use torch.load(path, weights_only=True), which refuses arbitrary imports; '
  + 'otherwise get the file again from a source you trust and compare its hash.';

const BY_RULE: Record<string, Guidance> = {
  'pickle.dangerous-import': {
    impact: 'Loading this file imports the callable named below and calls it with the arguments stored in the file: it can run shell commands, execute Python, read or delete files, or reach the network with your permissions.',
    fix: PICKLE_FIX,
  },
  'pickle.attribute-chain': {
    impact: 'Loading walks attributes from a harmless-looking module to reach interpreter internals (os, eval…); the result can be called with arguments from the file.',
    fix: PICKLE_FIX,
  },
  'pickle.unknown-import': {
    impact: 'Loading imports a module outside the known-safe list, running its top-level code, and may call the imported name.',
    fix: 'Check that the module is one your project expects (a custom layer or estimator class). If it is not, do not load the file; prefer safetensors weights, or torch.load(path, weights_only=True).',
  },
  'pickle.library-class': {
    impact: 'Loading rebuilds an object of this ML library class; normal for scikit-learn or joblib models, but it still needs the library installed and trusted.',
    fix: 'No action needed if you expect this class. For weights, a safetensors copy avoids pickle altogether.',
  },
  'pickle.dynamic-global': { impact: 'The name imported at load time is computed inside the pickle, so it cannot be known without running it: assume it is dangerous.', fix: PICKLE_FIX },
  'pickle.extension-code': { impact: 'Loading imports whatever the loading process registered under a numeric extension code.', fix: PICKLE_FIX },
  'pickle.build-on-global': { impact: 'Loading changes attributes of an imported module or class in your process (monkeypatching), which can alter later code.', fix: PICKLE_FIX },
  'pickle.indirect-call': { impact: 'Loading calls a value computed inside the pickle (e.g. from getattr), so the real callable is hidden from a quick look.', fix: PICKLE_FIX },
  'pickle.nested-pickle': { impact: 'Bytes inside the file are unpickled a second time; they were scanned too.', fix: 'Review the nested findings; prefer safetensors weights.' },
  'pickle.nested-unresolved': { impact: 'A loader inside the pickle reads data Hallmark could not see: what it loads was not scanned.', fix: PICKLE_FIX },
  'pickle.joblib-array': { impact: 'joblib reads raw data of unknown layout here; what follows could be another pickle.', fix: PICKLE_FIX },
  'pickle.malformed': { impact: 'Everything before the damage still runs when loaded; the rest may be read differently by other loaders.', fix: 'Get the file again from its source and compare its hash; do not load a damaged pickle.' },
  'pickle.hidden-import': { impact: 'A lenient or differently positioned unpickler would import a dangerous name from these bytes.', fix: PICKLE_FIX },
  'file.disguised': { impact: 'Tools that trust the file name will hand pickle bytes to a loader that runs code.', fix: 'Rename it to what it is and treat it as a pickle (see the other findings), or get the real file from a trusted source.' },
  'keras.lambda': { impact: 'Loading the model (with safe_mode off) or calling it runs the Python stored in the Lambda layer.', fix: 'Keep keras.models.load_model(..., safe_mode=True) (the default); replace Lambda layers with registered custom layers; get the model from a trusted source.' },
  'keras.custom-object': { impact: 'Deserialising the model imports the named module, running its code.', fix: 'Load only with custom_objects you provide yourself, from code you trust.' },
  'hf.remote-code': { impact: 'With trust_remote_code=True, transformers imports and runs the Python files shipped with the model.', fix: 'Load without trust_remote_code, or pin a reviewed revision of the code files.' },
  'hf.code-file': { impact: 'This Python runs when remote code is trusted.', fix: 'Read the file before enabling trust_remote_code; pin the revision you reviewed.' },
  'template.injection': { impact: 'Rendering the chat template in a vulnerable renderer escapes the Jinja sandbox and can run Python.', fix: 'Use a patched renderer (jinja2 sandbox, llama.cpp, transformers.js) and replace the template with the model family\'s published one.' },
  'template.prompt-injection': { impact: 'Every conversation gets instructions or links the user did not write.', fix: 'Replace the chat template with the model family\'s published one.' },
  'tf.py-func': { impact: 'Running the graph calls Python functions registered in the serving process.', fix: 'Serve only graphs you built, or strip the PyFunc ops.' },
  'tf.file-io-op': { impact: 'Running the graph reads or writes files with the permissions of whoever serves it.', fix: 'Remove the file ops, or serve the model in a sandbox without file access.' },
  'onnx.external-data-escape': { impact: 'The ONNX runtime reads files outside the model folder (e.g. your SSH keys) into tensors.', fix: 'Do not load it; re-export the model with its external data inside the folder.' },
  'onnx.custom-domain': { impact: 'Running it needs a native custom-op library loaded into the runtime.', fix: 'Load only custom-op libraries you built or trust.' },
  'npy.object-array': { impact: 'np.load(..., allow_pickle=True) unpickles the array, which can run code.', fix: 'Keep allow_pickle=False (the default) and ask for a numeric array.' },
};

const BY_FAMILY: Record<string, Guidance> = {
  pickle: { impact: 'Part of the pickle could not be fully followed; what it does when loaded is not fully known.', fix: PICKLE_FIX },
  keras: { impact: 'Loading the model may run code it carries.', fix: 'Keep keras safe_mode=True and load only from a trusted source.' },
  hf: { impact: 'Loading the folder with transformers may read files outside it or run shipped code.', fix: 'Fix the paths (or code files) in the repository, or download it again from a trusted source.' },
  archive: { impact: 'Extracting the archive naively can write outside the target folder, hide content from scanners, or exhaust the disk.', fix: 'Do not extract it with tools that follow entry names blindly; get a clean copy from the source.' },
  file: { impact: 'Part of the file could not be judged safe.', fix: 'Check the file is the one you meant, and get it again from a trusted source if in doubt.' },
  gguf: { impact: 'Malformed counts or ranges have crashed or exploited GGUF loaders.', fix: 'Do not load it; download the GGUF again and compare its hash.' },
  safetensors: { impact: 'Loaders may read the wrong data or fail.', fix: 'Download the file again and compare its hash.' },
  onnx: { impact: 'The runtime may fail or read data it should not.', fix: 'Re-export the model, or download it again from a trusted source.' },
  template: { impact: 'The chat template may render differently, or not at all, in different runtimes.', fix: 'Replace the chat template with the model family\'s published one.' },
  tf: { impact: 'The SavedModel could not be fully checked.', fix: 'Re-export the model from code you trust.' },
  npy: { impact: 'Readers may disagree on what the file holds.', fix: 'Re-save the array with numpy.save from a trusted copy.' },
  hdf5: { impact: 'Readers may disagree on what the file holds.', fix: 'Re-save the model from a trusted copy.' },
};

export function guidance(rule: string): Guidance | null {
  return BY_RULE[rule] ?? BY_FAMILY[rule.split('.')[0]!] ?? null;
}

/** The rule catalog with guidance, as scan.rules returns it. */
export function ruleCatalog(): RuleInfo[] {
  return Object.values(RULES).map((r) => ({ id: r.id, title: r.title, help: r.help, ...(guidance(r.id) ?? {}) }));
}
