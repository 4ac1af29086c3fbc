/**
 * struct module, module_init/exit, module parameters, modinfo, exports (include/linux/module.h,
 * moduleparam.h, export.h). The registration macros expand to file-scope data of the
 * `__interp_*` types below, which the compiler collects into the program description.
 */
import type { HeaderModel } from './model';

export const moduleHeader: HeaderModel = {
  name: 'linux/module.h, linux/moduleparam.h, linux/export.h',
  text: () => `
enum module_state {
	MODULE_STATE_LIVE,
	MODULE_STATE_COMING,
	MODULE_STATE_GOING,
	MODULE_STATE_UNFORMED,
};
#define MODULE_NAME_LEN 56
struct module {
	enum module_state state;
	struct list_head list;
	char name[MODULE_NAME_LEN];
	atomic_t refcnt;
	bool klp;
	bool klp_alive;
	bool async_probe_requested;
	int (*init)(void);
	void (*exit)(void);
};
extern struct module __this_module;
#define THIS_MODULE (&__this_module)
bool try_module_get(struct module *module);
void module_put(struct module *module);
void __module_get(struct module *module);
struct module *find_module(const char *name);
#define module_name(mod) ((mod)->name)

struct __interp_param { const char *name; const char *type; unsigned int perm; void *arg; unsigned int maxlen; };
struct __interp_param_desc { const char *name; const char *text; };
typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

#define module_init(fn) static initcall_t __interp_module_init = fn
#define module_exit(fn) static exitcall_t __interp_module_exit = fn
#define late_initcall(fn) module_init(fn)
#define subsys_initcall(fn) module_init(fn)
#define device_initcall(fn) module_init(fn)
#define MODULE_LICENSE(x) static const char __interp_modinfo_license[] = x
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x) static const char __interp_modinfo_description[] = x
#define MODULE_VERSION(x) static const char __interp_modinfo_version[] = x
#define MODULE_ALIAS(x)
#define MODULE_SOFTDEP(x)
#define MODULE_FIRMWARE(x)
#define MODULE_IMPORT_NS(x)
#define MODULE_DEVICE_TABLE(type, name)
#define MODULE_INFO(tag, info) static const char __interp_modinfo_##tag[] = info
#define EXPORT_SYMBOL(sym) static const char __interp_export_##sym[] = #sym
#define EXPORT_SYMBOL_GPL(sym) static const char __interp_export_##sym[] = #sym
#define EXPORT_SYMBOL_NS(sym, ns) EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns) EXPORT_SYMBOL(sym)

/* Parameter types: byte short ushort int uint long ulong ullong hexint charp bool invbool string. */
#define module_param_named(name, value, type, perm) static const struct __interp_param __interp_param_##name = { #name, #type, perm, &value, 0 }
#define module_param(name, type, perm) module_param_named(name, name, type, perm)
#define module_param_unsafe(name, type, perm) module_param_named(name, name, type, perm)
#define module_param_string(name, string, len, perm) static const struct __interp_param __interp_param_##name = { #name, "string", perm, string, len }
#define MODULE_PARM_DESC(_parm, desc) static const struct __interp_param_desc __interp_parmdesc_##_parm = { #_parm, desc }
#define S_IRWXU 00700
#define S_IRUSR 00400
#define S_IWUSR 00200
#define S_IXUSR 00100
#define S_IRWXG 00070
#define S_IRGRP 00040
#define S_IWGRP 00020
#define S_IXGRP 00010
#define S_IRWXO 00007
#define S_IROTH 00004
#define S_IWOTH 00002
#define S_IXOTH 00001
#define S_IRUGO (S_IRUSR|S_IRGRP|S_IROTH)
#define S_IWUGO (S_IWUSR|S_IWGRP|S_IWOTH)
#define S_IXUGO (S_IXUSR|S_IXGRP|S_IXOTH)
`,
};
