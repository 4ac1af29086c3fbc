; Retired API type: `struct klp_reloc` (its fields show up as unknown table fields). Run only on
; files whose text mentions it (server/src/model/fileFacts.ts).
((struct_specifier name: (type_identifier) @struct_use) (#eq? @struct_use "klp_reloc"))
