// SPDX-License-Identifier: GPL-2.0
/*
 * Example of the mistakes the checker catches before a test machine does:
 * an ambiguous target, a misspelt one, a table without its terminator, a
 * callback with the wrong signature, and no livepatch modinfo tag.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int livepatch_version_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "patched\n");
	return 0;
}

static void *livepatch_c_start(struct seq_file *m, loff_t *pos)
{
	return NULL;
}

/* pre_patch must return int: the kernel treats its value as an errno. */
static void broken_pre_patch(struct klp_object *obj)
{
}

static struct klp_func funcs[] = {
	{
		.old_name = "version_proc_show",
		.new_func = livepatch_version_proc_show,
	},
	{
		/* three static functions have this name in the target vmlinux */
		.old_name = "c_start",
		.new_func = livepatch_c_start,
	},
	{
		.old_name = "cmdline_proc_shw",
		.new_func = livepatch_version_proc_show,
	},
};

static struct klp_object objs[] = {
	{
		.funcs = funcs,
		.callbacks = {
			.pre_patch = broken_pre_patch,
		},
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init livepatch_broken_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit livepatch_broken_exit(void)
{
}

module_init(livepatch_broken_init);
module_exit(livepatch_broken_exit);
MODULE_LICENSE("GPL");
