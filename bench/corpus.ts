/**
 * Generates kernel-style livepatch C for benchmarks: modules with annotated functions, macros,
 * conditionals, shadow variables, states and klp tables, deterministic for a given seed so runs
 * compare.
 */
const targets = ['cmdline_proc_show', 'meminfo_proc_show', 'version_proc_show', 'do_sys_openat2', 'update_curr', 'tcp_sendmsg', 'vfs_read', 'vfs_write'];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** One function of extracted-kernel flavour: locals, loops, locks, a shadow lookup. */
function kernelFunction(name: string, index: number, next: () => number): string {
  const n = 3 + Math.floor(next() * 5);
  let body = '';
  for (let i = 0; i < n; i++) {
    body += `\tif (unlikely(ctx->flags & (1UL << ${i}))) {\n\t\tspin_lock(&ctx->lock);\n\t\tctx->count[${i}] += READ_ONCE(ctx->pending);\n\t\tspin_unlock(&ctx->lock);\n\t}\n`;
  }
  return `static noinline int __must_check ${name}(struct lp_ctx_${index % 7} __rcu *ctx, const char __user *buf, size_t len)
{
\tstruct lp_shadow *s;
\tint ret = 0;
\tunsigned long i;

\ts = klp_shadow_get_or_alloc(ctx, LP_SHADOW_ID_${index % 4}, sizeof(*s), GFP_ATOMIC, NULL, NULL);
\tif (!s)
\t\treturn -ENOMEM;
\tfor (i = 0; i < len; i++) {
\t\tif (buf[i] == '\\n')
\t\t\tbreak;
\t\tret += i * ${index};
\t}
${body}#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)
\tret = min_t(int, ret, 4096);
#else
\tret = ret > 4096 ? 4096 : ret;
#endif
\tpr_debug("%s: %d\\n", __func__, ret);
\treturn ret;
}

`;
}

/** A whole livepatch module of roughly `functions` functions. */
export function generateModule(seed: number, functions: number): string {
  const next = random(seed);
  let text = `// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/slab.h>

#define LP_SHADOW_ID_0\t0x${(seed * 16 + 1).toString(16)}
#define LP_SHADOW_ID_1\t0x${(seed * 16 + 2).toString(16)}
#define LP_SHADOW_ID_2\t0x${(seed * 16 + 3).toString(16)}
#define LP_SHADOW_ID_3\t0x${(seed * 16 + 4).toString(16)}
#define LP_STATE_ID\t${seed + 1}

struct lp_shadow { unsigned long value; };

`;
  const names: string[] = [];
  for (let i = 0; i < functions; i++) {
    const name = `livepatch_fn_${seed}_${i}`;
    names.push(name);
    text += kernelFunction(name, i, next);
  }
  text += 'static struct klp_func funcs[] = {\n';
  names.forEach((name, i) => {
    text += `\t{\n\t\t.old_name = "${targets[i % targets.length]}",\n\t\t.new_func = ${name},\n\t\t.old_sympos = ${i < targets.length ? 0 : 1},\n\t},\n`;
  });
  text += `\t{ }
};

static int lp_pre_patch(struct klp_object *obj)
{
\tif (klp_get_prev_state(LP_STATE_ID))
\t\treturn 0;
\treturn 0;
}

static void lp_post_unpatch(struct klp_object *obj)
{
\tklp_shadow_free_all(LP_SHADOW_ID_0, NULL);
}

static struct klp_object objs[] = {
\t{
\t\t.funcs = funcs,
\t\t.callbacks = {
\t\t\t.pre_patch = lp_pre_patch,
\t\t\t.post_unpatch = lp_post_unpatch,
\t\t},
\t}, { }
};

static struct klp_state states[] = {
\t{ .id = LP_STATE_ID, .version = 1 },
\t{ }
};

static struct klp_patch patch = {
\t.mod = THIS_MODULE,
\t.objs = objs,
\t.states = states,
\t.replace = true,
};

static int __init lp_init(void)
{
\treturn klp_enable_patch(&patch);
}

static void __exit lp_exit(void)
{
}

module_init(lp_init);
module_exit(lp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
  return text;
}

/** Modules totalling at least `bytes` of text. */
export function generateCorpus(bytes: number): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = [];
  let total = 0;
  for (let seed = 1; total < bytes; seed++) {
    const text = generateModule(seed, 40);
    files.push({ name: `lp_bench_${seed}.c`, text });
    total += Buffer.byteLength(text);
  }
  return files;
}

/** A single file of about `lines` lines. */
export function generateLongFile(lines: number): string {
  let functions = 10;
  let text = generateModule(9999, functions);
  while (text.split('\n').length < lines) {
    functions = Math.ceil(functions * (lines / text.split('\n').length)) + 1;
    text = generateModule(9999, functions);
  }
  return text;
}
