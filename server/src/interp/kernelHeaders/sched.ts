/**
 * Tasks, sleeping, time, kthreads, workqueues, completions, locks, atomics, RCU
 * (linux/sched.h, jiffies.h, delay.h, kthread.h, workqueue.h, completion.h, mutex.h,
 * spinlock.h, atomic.h, rcupdate.h). Blocking functions are host functions (kernelApi/) that
 * suspend the calling task and ask the Scheduler to resume it.
 */
import type { HeaderModel } from './model';

export const schedHeader: HeaderModel = {
  name: 'linux/sched.h, jiffies.h, delay.h, kthread.h, workqueue.h, completion.h, mutex.h, spinlock.h, atomic.h, rcupdate.h',
  text: (config) => `
#define HZ ${config.hz}
#define USER_HZ 100
#define MSEC_PER_SEC 1000L
#define USEC_PER_MSEC 1000L
#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define USEC_PER_SEC 1000000L
#define NSEC_PER_SEC 1000000000L
#define MAX_JIFFY_OFFSET ((LONG_MAX >> 1) - 1)
#define MAX_SCHEDULE_TIMEOUT LONG_MAX
extern unsigned long jiffies;
extern u64 jiffies_64;
u64 get_jiffies_64(void);
unsigned long msecs_to_jiffies(const unsigned int m);
unsigned long usecs_to_jiffies(const unsigned int u);
unsigned int jiffies_to_msecs(const unsigned long j);
unsigned int jiffies_to_usecs(const unsigned long j);
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
#define time_is_before_jiffies(a) time_after(jiffies, a)
#define time_is_after_jiffies(a) time_before(jiffies, a)
u64 ktime_get_ns(void);
ktime_t ktime_get(void);
u64 ktime_get_real_seconds(void);

void msleep(unsigned int msecs);
unsigned long msleep_interruptible(unsigned int msecs);
static inline void ssleep(unsigned int seconds) { msleep(seconds * 1000); }
void usleep_range(unsigned long min, unsigned long max);
void udelay(unsigned long usecs);
void ndelay(unsigned long nsecs);
void mdelay(unsigned long msecs);
void fsleep(unsigned long usecs);

#define TASK_RUNNING 0x00000000
#define TASK_INTERRUPTIBLE 0x00000001
#define TASK_UNINTERRUPTIBLE 0x00000002
#define TASK_DEAD 0x00000080
#define TASK_WAKEKILL 0x00000100
#define TASK_NOLOAD 0x00000400
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_FREEZABLE 0x00002000
#define TASK_COMM_LEN 16
#define PF_KTHREAD 0x00200000
struct mm_struct;
struct files_struct;
struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int prio;
	pid_t pid;
	pid_t tgid;
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;
	struct files_struct *files;
	void *stack;
	int patch_state;
};
struct task_struct *get_current(void);
#define current get_current()
void __interp_set_current_state(long state);
#define set_current_state(state) __interp_set_current_state(state)
#define __set_current_state(state) __interp_set_current_state(state)
void schedule(void);
long schedule_timeout(long timeout);
long schedule_timeout_interruptible(long timeout);
long schedule_timeout_uninterruptible(long timeout);
long schedule_timeout_killable(long timeout);
long schedule_timeout_idle(long timeout);
void yield(void);
int cond_resched(void);
int wake_up_process(struct task_struct *tsk);
int signal_pending(struct task_struct *p);
int fatal_signal_pending(struct task_struct *p);
pid_t task_pid_nr(struct task_struct *tsk);
#define get_task_comm(buf, tsk) strscpy(buf, (tsk)->comm, sizeof(buf))
int in_interrupt(void);
int in_atomic(void);
int in_task(void);
int smp_processor_id(void);
int raw_smp_processor_id(void);
void preempt_disable(void);
void preempt_enable(void);
void local_irq_disable(void);
void local_irq_enable(void);
#define local_irq_save(flags) do { (flags) = 0; local_irq_disable(); } while (0)
#define local_irq_restore(flags) do { (void)(flags); local_irq_enable(); } while (0)
#define get_cpu() ({ preempt_disable(); smp_processor_id(); })
#define put_cpu() preempt_enable()

struct task_struct *kthread_create(int (*threadfn)(void *data), void *data, const char *namefmt, ...);
#define kthread_create_on_node(threadfn, data, node, namefmt, ...) kthread_create(threadfn, data, namefmt, ##__VA_ARGS__)
#define kthread_run(threadfn, data, namefmt, ...) ({ struct task_struct *__k = kthread_create(threadfn, data, namefmt, ##__VA_ARGS__); if (!IS_ERR(__k)) wake_up_process(__k); __k; })
int kthread_stop(struct task_struct *k);
bool kthread_should_stop(void);
bool kthread_should_park(void);
int kthread_park(struct task_struct *k);
void kthread_unpark(struct task_struct *k);
void kthread_bind(struct task_struct *k, unsigned int cpu);
void __noreturn kthread_exit(long result);
void set_user_nice(struct task_struct *p, long nice);

struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	u32 flags;
};
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);
struct work_struct {
	atomic_long_t data;
	struct list_head entry;
	work_func_t func;
};
struct workqueue_struct;
struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;
	int cpu;
};
extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_highpri_wq;
extern struct workqueue_struct *system_long_wq;
extern struct workqueue_struct *system_unbound_wq;
extern struct workqueue_struct *system_freezable_wq;
extern struct workqueue_struct *system_power_efficient_wq;
#define WORK_STRUCT_PENDING 1
#define __WORK_INITIALIZER(n, f) { .data = { 0 }, .entry = { &(n).entry, &(n).entry }, .func = (f) }
#define DECLARE_WORK(n, f) struct work_struct n = __WORK_INITIALIZER(n, f)
#define DECLARE_DELAYED_WORK(n, f) struct delayed_work n = { .work = __WORK_INITIALIZER((n).work, f) }
#define INIT_WORK(_work, _func) do { (_work)->data.counter = 0; INIT_LIST_HEAD(&(_work)->entry); (_work)->func = (_func); } while (0)
#define INIT_DELAYED_WORK(_work, _func) do { INIT_WORK(&(_work)->work, (_func)); (_work)->wq = NULL; } while (0)
#define INIT_DEFERRABLE_WORK(_work, _func) INIT_DELAYED_WORK(_work, _func)
#define to_delayed_work(_work) container_of(_work, struct delayed_work, work)
#define work_pending(work) ((work)->data.counter & WORK_STRUCT_PENDING)
#define delayed_work_pending(w) work_pending(&(w)->work)
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);
bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);
bool schedule_work(struct work_struct *work);
bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay);
bool cancel_work(struct work_struct *work);
bool cancel_work_sync(struct work_struct *work);
bool cancel_delayed_work(struct delayed_work *dwork);
bool cancel_delayed_work_sync(struct delayed_work *dwork);
bool flush_work(struct work_struct *work);
bool flush_delayed_work(struct delayed_work *dwork);
void flush_scheduled_work(void);
void flush_workqueue(struct workqueue_struct *wq);
void drain_workqueue(struct workqueue_struct *wq);
struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...);
void destroy_workqueue(struct workqueue_struct *wq);
#define alloc_ordered_workqueue(fmt, flags, args...) alloc_workqueue(fmt, flags, 1, ##args)
#define create_workqueue(name) alloc_workqueue("%s", 0, 1, (name))
#define create_singlethread_workqueue(name) alloc_workqueue("%s", 0, 1, (name))
#define WQ_UNBOUND 0x2
#define WQ_FREEZABLE 0x4
#define WQ_MEM_RECLAIM 0x8
#define WQ_HIGHPRI 0x10

struct completion {
	unsigned int done;
	struct list_head wait;
};
#define COMPLETION_INITIALIZER(work) { 0, { &(work).wait, &(work).wait } }
#define DECLARE_COMPLETION(work) struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) DECLARE_COMPLETION(work)
static inline void init_completion(struct completion *x) { x->done = 0; INIT_LIST_HEAD(&x->wait); }
static inline void reinit_completion(struct completion *x) { x->done = 0; }
void complete(struct completion *x);
void complete_all(struct completion *x);
void wait_for_completion(struct completion *x);
unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout);
int wait_for_completion_interruptible(struct completion *x);
long wait_for_completion_interruptible_timeout(struct completion *x, unsigned long timeout);
int wait_for_completion_killable(struct completion *x);
bool try_wait_for_completion(struct completion *x);
bool completion_done(struct completion *x);

/* Locks record their owner (task id) so misuse can be reported; see kernelApi/locks.ts. */
struct mutex { long owner; unsigned int depth; };
#define DEFINE_MUTEX(mutexname) struct mutex mutexname = { 0 }
#define mutex_init(m) do { (m)->owner = 0; (m)->depth = 0; } while (0)
void mutex_lock(struct mutex *lock);
int mutex_lock_interruptible(struct mutex *lock);
int mutex_lock_killable(struct mutex *lock);
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
bool mutex_is_locked(struct mutex *lock);
#define mutex_lock_nested(lock, subclass) mutex_lock(lock)
#define lockdep_assert_held(l) do { } while (0)
typedef struct spinlock { long owner; unsigned int depth; } spinlock_t;
typedef struct spinlock raw_spinlock_t;
typedef struct { long owner; unsigned int readers; } rwlock_t;
#define DEFINE_SPINLOCK(x) spinlock_t x = { 0 }
#define DEFINE_RAW_SPINLOCK(x) raw_spinlock_t x = { 0 }
#define __SPIN_LOCK_UNLOCKED(x) { 0 }
#define DEFINE_RWLOCK(x) rwlock_t x = { 0 }
#define spin_lock_init(l) do { (l)->owner = 0; (l)->depth = 0; } while (0)
#define raw_spin_lock_init(l) spin_lock_init(l)
#define rwlock_init(l) do { (l)->owner = 0; (l)->readers = 0; } while (0)
void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
int spin_trylock(spinlock_t *lock);
int spin_is_locked(spinlock_t *lock);
#define spin_lock_irq(l) spin_lock(l)
#define spin_unlock_irq(l) spin_unlock(l)
#define spin_lock_bh(l) spin_lock(l)
#define spin_unlock_bh(l) spin_unlock(l)
#define spin_lock_irqsave(l, flags) do { (flags) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, flags) do { (void)(flags); spin_unlock(l); } while (0)
#define raw_spin_lock(l) spin_lock(l)
#define raw_spin_unlock(l) spin_unlock(l)
#define raw_spin_lock_irqsave(l, flags) spin_lock_irqsave(l, flags)
#define raw_spin_unlock_irqrestore(l, flags) spin_unlock_irqrestore(l, flags)
#define assert_spin_locked(l) do { } while (0)
#define read_lock(l) spin_lock((spinlock_t *)(l))
#define read_unlock(l) spin_unlock((spinlock_t *)(l))
#define write_lock(l) spin_lock((spinlock_t *)(l))
#define write_unlock(l) spin_unlock((spinlock_t *)(l))
#define read_lock_irqsave(l, f) spin_lock_irqsave((spinlock_t *)(l), f)
#define read_unlock_irqrestore(l, f) spin_unlock_irqrestore((spinlock_t *)(l), f)
#define write_lock_irqsave(l, f) spin_lock_irqsave((spinlock_t *)(l), f)
#define write_unlock_irqrestore(l, f) spin_unlock_irqrestore((spinlock_t *)(l), f)

#define ATOMIC_INIT(i) { (i) }
#define ATOMIC64_INIT(i) { (i) }
#define ATOMIC_LONG_INIT(i) { (i) }
static inline int atomic_read(const atomic_t *v) { return v->counter; }
static inline void atomic_set(atomic_t *v, int i) { v->counter = i; }
static inline void atomic_add(int i, atomic_t *v) { v->counter += i; }
static inline void atomic_sub(int i, atomic_t *v) { v->counter -= i; }
static inline void atomic_inc(atomic_t *v) { v->counter++; }
static inline void atomic_dec(atomic_t *v) { v->counter--; }
static inline int atomic_add_return(int i, atomic_t *v) { return v->counter += i; }
static inline int atomic_sub_return(int i, atomic_t *v) { return v->counter -= i; }
static inline int atomic_inc_return(atomic_t *v) { return ++v->counter; }
static inline int atomic_dec_return(atomic_t *v) { return --v->counter; }
static inline int atomic_fetch_add(int i, atomic_t *v) { int old = v->counter; v->counter += i; return old; }
static inline int atomic_fetch_inc(atomic_t *v) { return v->counter++; }
static inline bool atomic_dec_and_test(atomic_t *v) { return --v->counter == 0; }
static inline bool atomic_inc_and_test(atomic_t *v) { return ++v->counter == 0; }
static inline bool atomic_sub_and_test(int i, atomic_t *v) { return (v->counter -= i) == 0; }
static inline int atomic_xchg(atomic_t *v, int n) { int old = v->counter; v->counter = n; return old; }
static inline int atomic_cmpxchg(atomic_t *v, int old, int n) { int cur = v->counter; if (cur == old) v->counter = n; return cur; }
static inline long long atomic64_read(const atomic64_t *v) { return v->counter; }
static inline void atomic64_set(atomic64_t *v, long long i) { v->counter = i; }
static inline void atomic64_add(long long i, atomic64_t *v) { v->counter += i; }
static inline void atomic64_inc(atomic64_t *v) { v->counter++; }
static inline void atomic64_dec(atomic64_t *v) { v->counter--; }
static inline long long atomic64_inc_return(atomic64_t *v) { return ++v->counter; }
static inline long long atomic64_add_return(long long i, atomic64_t *v) { return v->counter += i; }
#define atomic_long_read(v) atomic64_read(v)
#define atomic_long_set(v, i) atomic64_set(v, i)
#define atomic_long_inc(v) atomic64_inc(v)
#define atomic_long_dec(v) atomic64_dec(v)
#define atomic_long_add(i, v) atomic64_add(i, v)
#define atomic_long_inc_return(v) atomic64_inc_return(v)
static inline void refcount_set(refcount_t *r, int n) { r->refs.counter = n; }
static inline unsigned int refcount_read(const refcount_t *r) { return r->refs.counter; }
static inline void refcount_inc(refcount_t *r) { r->refs.counter++; }
static inline bool refcount_dec_and_test(refcount_t *r) { return --r->refs.counter == 0; }
#define REFCOUNT_INIT(n) { .refs = ATOMIC_INIT(n) }

#define rcu_read_lock() do { } while (0)
#define rcu_read_unlock() do { } while (0)
#define rcu_read_lock_bh() do { } while (0)
#define rcu_read_unlock_bh() do { } while (0)
#define rcu_dereference(p) (p)
#define rcu_dereference_protected(p, c) (p)
#define rcu_dereference_raw(p) (p)
#define rcu_access_pointer(p) (p)
#define rcu_assign_pointer(p, v) ((p) = (v))
#define RCU_INIT_POINTER(p, v) ((p) = (v))
void synchronize_rcu(void);
void rcu_barrier(void);
`,
};
