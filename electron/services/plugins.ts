// Feature modules that hook into every context (post-import inspect/scan, …). Import for side effects.
import './scan/plugin';
