; Everything the livepatch source model needs from one C file, in one pass over the tree.
; Capture names are read by server/src/model/fileFacts.ts; keep the two in step.
; Captures cost: every captured node is copied out of wasm, so capture only what the code reads.

; Struct variables with an initializer: klp_patch/klp_object/klp_func/klp_state tables, and any
; other struct the model resolves by name.
(declaration
  type: (struct_specifier name: (type_identifier) @struct.type)
  declarator: (init_declarator
    declarator: (_) @struct.declarator
    value: (initializer_list) @struct.value)) @struct

; Function definitions (names are dug out of the declarator chain in code).
(function_definition) @function

; Direct calls, at file scope too (module_init(f); MODULE_INFO(...); parse as calls). Only the
; argument list is captured: the name is read from the text right before it (the code asks the
; tree when the text does not tell), and the call ends where its arguments end.
(call_expression
  function: (identifier)
  arguments: (argument_list) @call.arguments)

; Identifiers passed to calls: function pointers (ctor/dtor, work handlers) join the call graph.
(argument_list (identifier) @argument_identifier)

(return_statement) @return

; Function-scope statics (LP-STATIC-LOCAL): declarations with a storage class directly inside a
; body. Rooted at the block: file-scope `extern` declarations (thousands in extracted kernel code)
; would otherwise each be copied out of wasm only to be dropped.
(compound_statement (declaration (storage_class_specifier) @storage) @declaration)

(preproc_def name: (identifier) @define.name value: (preproc_arg)? @define.value) @define

(preproc_function_def
  name: (identifier) @fdefine.name
  parameters: (preproc_params) @fdefine.parameters
  value: (preproc_arg)? @fdefine.value) @fdefine

(preproc_include path: (_) @include.path) @include

; Struct and union definitions with a body: the layout behind a shadow variable's data, which
; the takeover checks compare across patches.
(struct_specifier name: (type_identifier) @record.name body: (field_declaration_list) @record.body) @record
(union_specifier name: (type_identifier) @record.name body: (field_declaration_list) @record.body) @record

; Typedef names: the takeover checks compare shadow data behind a typedef as the type it names
; (an anonymous struct's members become a record of the typedef's name).
(type_definition type: (_) @typedef.type declarator: (type_identifier) @typedef.name) @typedef

; Syntax errors are read by syntax.scm, only from trees that have some.
