; Syntax errors, in tree order; run by server/src/model/fileFacts.ts only on trees that have
; errors (a MISSING pattern is tried at every node: it is not worth it on clean trees). MISSING
; nodes are zero-width: the code also uses them to know which identifiers it may not measure by
; scanning the text.
(ERROR) @syntax_error
(MISSING) @syntax_missing
