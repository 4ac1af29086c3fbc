/**
 * What the model records about the data behind shadow variable calls, read from the tree: the
 * type a result is used as, the type a size measures, and the struct definitions. The takeover
 * check LP-SHADOW-ID compares these (checks/takeover/layouts.ts), never declaration text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Analyzer, type FileSystemHost } from '../../../server/src/analysis/analyzer';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import type { LivepatchModule } from '../../../server/src/model/types';

async function moduleFrom(text: string, edit?: (text: string) => string): Promise<LivepatchModule> {
  const fs: FileSystemHost = { readFile: () => undefined, listFolder: () => [] };
  const analyzer = await Analyzer.create(defaultKernelModel(), fs, { workers: 0 });
  try {
    analyzer.openDocument('/mem/lp_types.c', text);
    if (edit) {
      // An edit away from the calls: the facts are updated in place, not read again.
      const changed = edit(text);
      const lines = text.split('\n');
      analyzer.changeDocument('/mem/lp_types.c', [{ range: { start: { line: lines.length - 1, character: 0 }, end: { line: lines.length - 1, character: lines[lines.length - 1].length } }, text: changed.split('\n').pop()! }]);
    }
    return analyzer.moduleOf('/mem/lp_types.c')!;
  } finally {
    analyzer.dispose();
  }
}

const source = `#include <linux/livepatch.h>
#define SV_A 1
#define SV_B 2
typedef unsigned long long u64;

struct sv_a {
	unsigned long count; /* how often */
	char *comm, *name;
	// trailing comment
};

union sv_u { int i; long l; };

static struct sv_a *get_a(void *obj)
{
	return klp_shadow_get(obj, SV_A);
}

static void use(void *obj, u64 stamp)
{
	struct sv_a *a = klp_shadow_get(obj, SV_A);
	struct sv_a *b;
	union sv_u *u;
	long *counter;

	b = klp_shadow_get_or_alloc(obj, SV_A, sizeof(*b), GFP_KERNEL, NULL, NULL);
	if (!(u = klp_shadow_alloc(obj, SV_B, sizeof(union sv_u), GFP_KERNEL, NULL, NULL)))
		return;
	counter = (long *)klp_shadow_get(obj, 3);
	klp_shadow_alloc(obj, 4, sizeof(u64), GFP_KERNEL, NULL, NULL);
	klp_shadow_alloc(obj, 5, sizeof stamp, GFP_KERNEL, NULL, NULL);
	klp_shadow_alloc(obj, 6, sizeof(*a->comm), GFP_KERNEL, NULL, NULL);
	obj = klp_shadow_get(obj, 7);
}
`;

describe('shadow variable types in the model', () => {
  it('records the result type and the size type of each call, from the tree', async () => {
    const module = await moduleFrom(source);
    const calls = module.shadowCalls.map((call) => [call.api, call.id?.value, call.resultType, call.sizeType]);
    assert.deepEqual(calls, [
      ['klp_shadow_get', 1, 'struct sv_a', undefined], // returned from a function returning struct sv_a *
      ['klp_shadow_get', 1, 'struct sv_a', undefined], // declared
      ['klp_shadow_get_or_alloc', 1, 'struct sv_a', 'struct sv_a'], // assigned; sizeof(*b)
      ['klp_shadow_alloc', 2, 'union sv_u', 'union sv_u'], // assigned inside a condition
      ['klp_shadow_get', 3, 'long', undefined], // cast
      ['klp_shadow_alloc', 4, undefined, 'u64'], // a typedef name in sizeof
      ['klp_shadow_alloc', 5, undefined, 'u64'], // sizeof of a parameter
      ['klp_shadow_alloc', 6, undefined, undefined], // sizeof of a member: unknown
      ['klp_shadow_get', 7, undefined, undefined], // stored in a void *
    ]);
  });

  it('records struct and union members, comments left out', async () => {
    const module = await moduleFrom(source);
    assert.deepEqual(module.records?.get('struct sv_a')?.fields, ['unsigned long count', 'char *comm, *name']);
    assert.deepEqual(module.records?.get('union sv_u')?.fields, ['int i', 'long l']);
  });

  const typedefSource = `#include <linux/livepatch.h>
struct sv_a { int a; };
typedef struct sv_a sv_a_t;
typedef struct { int x; long y; } sv_anon_t;
typedef unsigned   int sv_count_t;
typedef struct sv_named { int z; } sv_named_t;
typedef sv_count_t sv_again_t, *sv_count_p;
#if 0
typedef long sv_dead_t;
#endif
static void use(void *obj)
{
	klp_shadow_alloc(obj, 1, sizeof(sv_anon_t), GFP_KERNEL, NULL, NULL);
}
`;

  it('records typedef names, and the members of a typedef of an anonymous struct under its name', async () => {
    for (const module of [await moduleFrom(typedefSource), await moduleFrom(typedefSource, (text) => `${text}/* appended */`)]) {
      assert.deepEqual(
        [...(module.typedefs ?? [])],
        [
          ['sv_a_t', 'struct sv_a'],
          ['sv_count_t', 'unsigned int'],
          ['sv_named_t', 'struct sv_named'],
          ['sv_again_t', 'sv_count_t'], // the pointer declarator beside it is not a plain name
        ],
      );
      assert.deepEqual(module.records?.get('sv_anon_t')?.fields, ['int x', 'long y']);
      assert.deepEqual(module.records?.get('struct sv_named')?.fields, ['int z']);
      assert.equal(module.shadowCalls[0].sizeType, 'sv_anon_t');
    }
  });

  it('keeps them through an in-place update of the facts', async () => {
    const module = await moduleFrom(source, (text) => `${text}/* appended */`);
    assert.equal(module.shadowCalls[2].sizeType, 'struct sv_a');
    assert.equal(module.records?.get('struct sv_a')?.fields.length, 2);
  });
});
