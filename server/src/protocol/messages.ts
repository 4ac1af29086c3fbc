/**
 * Custom LSP messages between the Livepatch client and server, declared once as typed
 * `RequestType`s so both sides agree on the method name and the payload.
 *
 * Imported by the VS Code client too: only protocol types here, no server code.
 */
import { RequestType0 } from 'vscode-languageserver-protocol';

/** What the server checks sources against, as reported by `livepatch/kernelModelInfo`. */
export interface KernelModelInfo {
  /** Kernel release, e.g. "6.8.0-31-generic". */
  release: string;
  architecture: string;
  /** Where the model came from: a file path, or "embedded default". */
  source: string;
  /** Number of objects (vmlinux plus modules) the model describes. */
  objectCount: number;
  /** Total number of kallsyms entries over all objects. */
  symbolCount: number;
  /** The `livepatch.kernelModel` setting as configured ("" for the embedded default). */
  configuredPath: string;
  /**
   * Why the configured model is not the one in use (empty when it loaded). When this is not
   * empty the server keeps checking against the previous model, described by the other fields.
   */
  loadErrors: string[];
}

/**
 * `livepatch/kernelModelInfo`: sent by the client when the user runs
 * "Livepatch: Show Kernel Model Info" (and by tests), so that the user can see which kernel the
 * diagnostics, hovers and completions are about and whether the configured model failed to load.
 * The server answers from its current state; it never reloads the model for this request.
 */
export const KernelModelInfoRequest = new RequestType0<KernelModelInfo, void>('livepatch/kernelModelInfo');
