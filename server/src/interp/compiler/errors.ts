/** A construct the compiler cannot handle; reported as a diagnostic at the node. */
import type { Node } from 'web-tree-sitter';

export class CompileError extends Error {
  constructor(
    message: string,
    readonly node: Node | undefined,
    /** 'not-modeled': the code names something the kernel model lacks (undeclared name). */
    readonly kind: 'compile-error' | 'not-modeled' = 'compile-error',
  ) {
    super(message);
  }
}

export function fail(message: string, node?: Node, kind: 'compile-error' | 'not-modeled' = 'compile-error'): never {
  throw new CompileError(message, node, kind);
}
