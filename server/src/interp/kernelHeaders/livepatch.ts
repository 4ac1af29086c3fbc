/**
 * include/linux/livepatch.h: the author-visible fields in kernel order, followed by the internal
 * fields callbacks and the livepatch core read (kobjects are left out). The livepatch core
 * functions (klp_enable_patch, shadow variables, states) are implemented by the simulator
 * through HostEnvironment.resolve; without it they fault as not modeled.
 */
import type { HeaderModel } from './model';

export const livepatchHeader: HeaderModel = {
  name: 'linux/livepatch.h',
  text: () => `
struct klp_object;
struct klp_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;
	void *old_func;
	struct list_head node;
	struct list_head stack_node;
	unsigned long old_size, new_size;
	bool nop;
	bool patched;
	bool transition;
};
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};
struct klp_object {
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;
	struct list_head func_list;
	struct list_head node;
	struct module *mod;
	bool dynamic;
	bool patched;
};
struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};
struct klp_patch {
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states;
	bool replace;
	struct list_head list;
	struct list_head obj_list;
	bool enabled;
	bool forced;
	struct work_struct free_work;
	struct completion finish;
};
/*
 * include/linux/livepatch_external.h (6.19+): klp-build's compact descriptors in the
 * __klp_objects section, which scripts/livepatch/init.c turns into klp_object/klp_func arrays.
 */
struct klp_func_ext {
	const char *old_name;
	void *new_func;
	unsigned long sympos;
};
struct klp_object_ext {
	const char *name;
	struct klp_func_ext *funcs;
	struct klp_callbacks callbacks;
	unsigned int nr_funcs;
};
#define klp_for_each_object_static(patch, obj) for (obj = (patch)->objs; obj->funcs || obj->name; obj++)
#define klp_for_each_func_static(obj, func) for (func = (obj)->funcs; func && (func->old_name || func->new_func || func->old_sympos); func++)
typedef int (*klp_shadow_ctor_t)(void *obj, void *shadow_data, void *ctor_data);
typedef void (*klp_shadow_dtor_t)(void *obj, void *shadow_data);
int klp_enable_patch(struct klp_patch *patch);
int klp_register_patch(struct klp_patch *patch);
int klp_unregister_patch(struct klp_patch *patch);
int klp_disable_patch(struct klp_patch *patch);
void *klp_shadow_get(void *obj, unsigned long id);
void *klp_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags, klp_shadow_ctor_t ctor, void *ctor_data);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags, klp_shadow_ctor_t ctor, void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor);
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor);
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id);
struct klp_state *klp_get_prev_state(unsigned long id);
/*
 * klp-convert's source annotation (proposed upstream with klp-convert, not merged): each
 * KLP_MODULE_RELOC(obj) array stands for the livepatch relocation sections .klp.rela.<obj>.*
 * and each KLP_SYMPOS(symbol, pos) entry for the livepatch symbol .klp.sym.<obj>.<symbol>,<pos>
 * that references to the (extern) symbol become. Here the entry records the name only.
 */
/*
 * The relocation macros of extracted kernel code (klp-ccp style, reference 9.3): an asm label
 * naming the symbol .klp.sym.rela.<section object>.<symbol object>.<symbol>,<pos>, which the
 * build turns into .klp.sym.<symbol object>.<symbol>,<pos> in .klp.rela.<section object>.*.
 */
#define KLP_RELOC_SYMBOL_POS(LP_OBJ_NAME, SYM_OBJ_NAME, SYM_NAME, SYM_POS) __asm__("\\"" ".klp.sym.rela." #LP_OBJ_NAME "." #SYM_OBJ_NAME "." #SYM_NAME "," #SYM_POS "\\"")
#define KLP_RELOC_SYMBOL(LP_OBJ_NAME, SYM_OBJ_NAME, SYM_NAME) KLP_RELOC_SYMBOL_POS(LP_OBJ_NAME, SYM_OBJ_NAME, SYM_NAME, 0)
#define KLP_MODULE_RELOC(obj) struct __klp_module_reloc_##obj { const char *name; unsigned int sympos; }
#define KLP_SYMPOS(symbol, pos) { .name = #symbol, .sympos = pos },
#define KLP_TRANSITION_IDLE -1
#define KLP_TRANSITION_UNPATCHED 0
#define KLP_TRANSITION_PATCHED 1
#define KLP_UNDEFINED -1
#define KLP_UNPATCHED 0
#define KLP_PATCHED 1
`,
};
