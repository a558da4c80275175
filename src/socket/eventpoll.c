/*
 * epoll, as Linux's fs/eventpoll.c.
 *
 * An epoll instance (struct eventpoll) is a struct file in the same fd
 * table, with its own file operations. Each watched (file, fd) is an
 * epitem, kept in the instance's hash by that key. EPOLL_CTL_ADD
 * (ep_insert) polls the target once with a poll_table whose _qproc
 * (ep_ptable_queue_proc) hangs a wait entry on the target's wait queue;
 * when the socket is woken, ep_poll_callback puts the item on the ready
 * list (if the wakeup's key is one of the item's events) and wakes
 * epoll_wait sleepers. epoll_wait (ep_poll) takes the ready list, polls
 * each item again (ep_send_events): level-triggered items that are still
 * ready go back on the list, EPOLLET items leave it, EPOLLONESHOT items
 * are disabled until EPOLL_CTL_MOD re-arms them.
 *
 * Every watched file lists its items on f_ep_links; when its last
 * reference goes, eventpoll_release removes them from their instances
 * (closing an fd drops it from every epoll set).
 *
 * Locks, outermost first: epmutex (process-wide, only for the rare
 * instance-vs-target teardown races), ep->mtx (item set; held by ctl and
 * while epoll_wait harvests), file->f_ep_lock (f_ep_links), wait queue
 * locks (a wakeup calls ep_poll_callback with the socket's queue locked),
 * ep->lock (ready list).
 *
 * Nesting: an epoll fd may watch another epoll fd one level deep (the
 * inner one must not watch epoll fds, the outer one must not be watched);
 * anything deeper is -ELOOP. Linux allows up to 4 levels with a loop
 * check; one level keeps the wakeup path free of cycles.
 *
 * Host mode (the preload shim): an instance's placeholder is a kernel
 * epoll instance, and the program's kernel descriptors are watched there:
 * epoll_ctl of a non-sockline fd goes to it (ep_ctl_kernel), and
 * epoll_wait harvests both (ep_harvest: sockline's ready list, then the
 * kernel's with epoll_wait(0), the order alternating so that neither
 * starves the other) and, while the kernel set is not empty, sleeps in
 * ppoll on the kernel instance and the thread's doorbell, which the
 * instance's wakeups ring (poll_sleeper_sleep_kernel). With no kernel
 * descriptor it sleeps as before (busy polling included). The kernel
 * instance is reached by the number the caller used (epfd): every fd of
 * the instance (dup) holds a duplicate of it. An epoll fd watched by
 * another epoll reports its sockline items only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "sl/signal.h"
#include "sl/socket.h"

/* Epoll private bits inside the event mask. */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EPOLLINOUT_BITS (EPOLLIN | EPOLLOUT)
#define EPOLLEXCLUSIVE_OK_BITS (EPOLLINOUT_BITS | EPOLLERR | EPOLLHUP | \
				EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
/* Linux's EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event). */
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event))
/* Wait queues one item may hang on (a socket uses one). */
#define EP_MAX_PWQ 2

struct eventpoll;

struct eppoll_entry {
	struct wait_queue_entry wait;
	struct wait_queue_head *whead;
	struct epitem *base;
};

struct epitem {
	struct hlist_node hnode;          /* ep->hash, by (file, fd) */
	struct list_head rdllink;         /* on ep->rdllist when ready */
	bool ready;                       /* linked on rdllist */
	struct file *file;                /* watched file (no reference) */
	int fd;
	struct eventpoll *ep;
	struct list_head fllink;          /* on file->f_ep_links */
	int nwait;
	struct eppoll_entry pwqlist[EP_MAX_PWQ];
	struct epoll_event event;
};

struct eventpoll {
	pthread_mutex_t mtx;              /* item set, ep_send_events */
	pthread_mutex_t lock;             /* rdllist */
	struct list_head rdllist;         /* ready items */
	struct wait_queue_head wq;        /* epoll_wait sleepers */
	struct wait_queue_head poll_wait; /* poll() of the epoll fd itself */
	struct hlist_head *hash;
	unsigned int hash_size;           /* power of two */
	unsigned int nitems;
	unsigned int nepoll_items;        /* items that are epoll files */
	struct file *file;
	/* Host mode: the placeholder is a kernel epoll instance. */
	bool host;
	bool adopted;                     /* the program's: watches unknown */
	bool kernel_first;                /* next harvest starts there (mtx) */
	unsigned int nkernel;             /* kernel fds added, less deleted */
};

static pthread_mutex_t epmutex = PTHREAD_MUTEX_INITIALIZER;
static const struct file_operations eventpoll_fops;

/* Is @f an epoll instance? (Linux's is_file_epoll) */
bool is_file_epoll(const struct file *f)
{
	return f->f_op == &eventpoll_fops;
}

/* --- the item set ---------------------------------------------------------- */

static unsigned int ep_hash(const struct eventpoll *ep, const struct file *f,
			    int fd)
{
	uintptr_t h = (uintptr_t)f ^ ((uintptr_t)f >> 9) ^ (unsigned int)fd;

	h *= 0x9E3779B97F4A7C15ULL;
	return (unsigned int)(h >> 40) & (ep->hash_size - 1);
}

static struct epitem *ep_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct epitem *epi;

	hlist_for_each_entry(epi, &ep->hash[ep_hash(ep, f, fd)], hnode)
		if (epi->file == f && epi->fd == fd)
			return epi;
	return NULL;
}

/* Double the hash when it gets crowded (ep->mtx held). */
static void ep_hash_grow(struct eventpoll *ep)
{
	unsigned int old_size = ep->hash_size, i;
	struct hlist_head *old = ep->hash, *n;
	struct hlist_node *tmp;
	struct epitem *epi;

	if (ep->nitems < 2 * old_size)
		return;
	n = calloc(old_size * 2, sizeof(*n));
	if (!n)
		return;
	ep->hash = n;
	ep->hash_size = old_size * 2;
	for (i = 0; i < old_size; i++) {
		hlist_for_each_entry_safe(epi, tmp, &old[i], hnode) {
			hlist_del_init(&epi->hnode);
			hlist_add_head(&epi->hnode,
				       &ep->hash[ep_hash(ep, epi->file,
							 epi->fd)]);
		}
	}
	free(old);
}

/* Put @epi on the ready list if it is not there (ep->lock held). */
static bool ep_set_ready(struct eventpoll *ep, struct epitem *epi)
{
	if (epi->ready)
		return false;
	list_add_tail(&epi->rdllink, &ep->rdllist);
	epi->ready = true;
	return true;
}

static void ep_wake(struct eventpoll *ep)
{
	if (waitqueue_active(&ep->wq))
		wake_up_interruptible_poll(&ep->wq, EPOLLIN);
	if (waitqueue_active(&ep->poll_wait))
		wake_up_interruptible_poll(&ep->poll_wait, EPOLLIN);
}

/*
 * The wait entry's function: a watched file was woken with @key (Linux's
 * ep_poll_callback). Runs with the file's wait queue locked, in whatever
 * thread woke it (usually the stack's softirq).
 */
static int ep_poll_callback(struct wait_queue_entry *wait, unsigned int mode,
			    void *key)
{
	struct eppoll_entry *pwq = container_of(wait, struct eppoll_entry, wait);
	struct epitem *epi = pwq->base;
	struct eventpoll *ep = epi->ep;
	__poll_t pollflags = (__poll_t)(uintptr_t)key;
	bool wake = false;

	pthread_mutex_lock(&ep->lock);
	/*
	 * No event bits left (a one-shot item that fired, or an empty
	 * mask): the item stays quiet until EPOLL_CTL_MOD gives it some.
	 */
	if (!(epi->event.events & ~EP_PRIVATE_BITS))
		goto out_unlock;
	/* Wakeups with a key that is not one of ours are ignored. */
	if (pollflags && !(pollflags & epi->event.events))
		goto out_unlock;
	ep_set_ready(ep, epi);
	wake = true;
out_unlock:
	pthread_mutex_unlock(&ep->lock);
	if (wake)
		ep_wake(ep);
	return 1;
}

/* The poll_table's _qproc for epoll: hang the item on @whead. */
static void ep_ptable_queue_proc(struct file *file, struct wait_queue_head *whead,
				 struct poll_table_struct *pt);

struct ep_pqueue {
	struct poll_table_struct pt;
	struct epitem *epi;
};

static void ep_ptable_queue_proc(struct file *file, struct wait_queue_head *whead,
				 struct poll_table_struct *pt)
{
	struct ep_pqueue *epq = container_of(pt, struct ep_pqueue, pt);
	struct epitem *epi = epq->epi;
	struct eppoll_entry *pwq;

	if (epi->nwait < 0 || epi->nwait >= EP_MAX_PWQ) {
		epi->nwait = -1;
		return;
	}
	pwq = &epi->pwqlist[epi->nwait++];
	init_waitqueue_func_entry(&pwq->wait, ep_poll_callback);
	pwq->whead = whead;
	pwq->base = epi;
	add_wait_queue(whead, &pwq->wait);
}

/* Poll the item's file for the item's events (pt may queue or not). */
static __poll_t ep_item_poll(struct epitem *epi, struct poll_table_struct *pt)
{
	struct file *f = epi->file;
	__poll_t mask;

	pt->_key = epi->event.events;
	mask = f->f_op->poll ? f->f_op->poll(f, pt) : 0;
	return mask & epi->event.events;
}

static void ep_unregister_pollwait(struct epitem *epi)
{
	for (int i = 0; i < epi->nwait; i++)
		remove_wait_queue(epi->pwqlist[i].whead, &epi->pwqlist[i].wait);
	epi->nwait = 0;
}

/* Remove and free @epi (ep->mtx held; the watched file is alive or dying). */
static void ep_remove(struct eventpoll *ep, struct epitem *epi)
{
	struct file *file = epi->file;

	/* After this no callback can reach epi. */
	ep_unregister_pollwait(epi);
	spin_lock(&file->f_ep_lock);
	list_del_init(&epi->fllink);
	spin_unlock(&file->f_ep_lock);
	hlist_del_init(&epi->hnode);
	pthread_mutex_lock(&ep->lock);
	if (epi->ready)
		list_del_init(&epi->rdllink);
	pthread_mutex_unlock(&ep->lock);
	ep->nitems--;
	if (is_file_epoll(file))
		ep->nepoll_items--;
	free(epi);
}

/* One-level nesting rule (see the file head); -ELOOP otherwise. */
static int ep_check_nesting(struct eventpoll *ep, struct file *tfile)
{
	struct eventpoll *tep;
	int err = 0;

	if (!is_file_epoll(tfile))
		return 0;
	tep = tfile->private_data;
	spin_lock(&ep->file->f_ep_lock);
	if (!list_empty(&ep->file->f_ep_links))
		err = -ELOOP;
	spin_unlock(&ep->file->f_ep_lock);
	if (!err && tep != ep && READ_ONCE(tep->nepoll_items))
		err = -ELOOP;
	return err;
}

/* EPOLL_CTL_ADD (Linux's ep_insert), ep->mtx held. */
static int ep_insert(struct eventpoll *ep, const struct epoll_event *event,
		     struct file *tfile, int fd)
{
	struct ep_pqueue epq;
	struct epitem *epi;
	__poll_t revents;
	bool wake = false;

	if (is_file_epoll(ep->file) && !list_empty(&ep->file->f_ep_links) &&
	    is_file_epoll(tfile))
		return -ELOOP;
	epi = calloc(1, sizeof(*epi));
	if (!epi)
		return -ENOMEM;
	INIT_LIST_HEAD(&epi->rdllink);
	INIT_LIST_HEAD(&epi->fllink);
	epi->ep = ep;
	epi->file = tfile;
	epi->fd = fd;
	epi->event = *event;

	spin_lock(&tfile->f_ep_lock);
	list_add_tail(&epi->fllink, &tfile->f_ep_links);
	spin_unlock(&tfile->f_ep_lock);
	hlist_add_head(&epi->hnode, &ep->hash[ep_hash(ep, tfile, fd)]);
	ep->nitems++;
	if (is_file_epoll(tfile))
		ep->nepoll_items++;

	/* Poll once, queueing on the file's wait queue. */
	epq.epi = epi;
	epq.pt._qproc = ep_ptable_queue_proc;
	revents = ep_item_poll(epi, &epq.pt);
	if (epi->nwait < 0) {
		epi->nwait = EP_MAX_PWQ;
		ep_remove(ep, epi);
		return -ENOMEM;
	}
	/* Events already pending at ADD: report them without a wakeup. */
	pthread_mutex_lock(&ep->lock);
	if (revents)
		wake = ep_set_ready(ep, epi);
	pthread_mutex_unlock(&ep->lock);
	if (wake)
		ep_wake(ep);
	ep_hash_grow(ep);
	return 0;
}

/* EPOLL_CTL_MOD (Linux's ep_modify), ep->mtx held. */
static int ep_modify(struct eventpoll *ep, struct epitem *epi,
		     const struct epoll_event *event)
{
	struct poll_table_struct pt = { ._qproc = NULL };
	bool wake = false;

	pthread_mutex_lock(&ep->lock);
	epi->event.events = event->events;
	epi->event.data = event->data;
	pthread_mutex_unlock(&ep->lock);
	/*
	 * The new mask may match what is pending now; no wakeup will come
	 * for that, so queue the item here (a no-op if already queued).
	 */
	if (ep_item_poll(epi, &pt)) {
		pthread_mutex_lock(&ep->lock);
		wake = ep_set_ready(ep, epi);
		pthread_mutex_unlock(&ep->lock);
	}
	if (wake)
		ep_wake(ep);
	return 0;
}

/* --- the epoll file -------------------------------------------------------- */

static bool ep_events_available(struct eventpoll *ep)
{
	bool avail;

	pthread_mutex_lock(&ep->lock);
	avail = !list_empty(&ep->rdllist);
	pthread_mutex_unlock(&ep->lock);
	return avail;
}

/* poll() of an epoll fd: readable when some item is ready. */
static __poll_t ep_eventpoll_poll(struct file *file,
				  struct poll_table_struct *wait)
{
	struct eventpoll *ep = file->private_data;

	poll_wait(file, &ep->poll_wait, wait);
	return ep_events_available(ep) ? (EPOLLIN | EPOLLRDNORM) : 0;
}

/* The epoll fd's last reference: remove every item (Linux's ep_free). */
static int ep_eventpoll_release(struct file *file)
{
	struct eventpoll *ep = file->private_data;
	struct hlist_node *tmp;
	struct epitem *epi;

	pthread_mutex_lock(&epmutex);
	pthread_mutex_lock(&ep->mtx);
	for (unsigned int i = 0; i < ep->hash_size; i++)
		hlist_for_each_entry_safe(epi, tmp, &ep->hash[i], hnode)
			ep_remove(ep, epi);
	pthread_mutex_unlock(&ep->mtx);
	pthread_mutex_unlock(&epmutex);

	free(ep->hash);
	destroy_waitqueue_head(&ep->wq);
	destroy_waitqueue_head(&ep->poll_wait);
	pthread_mutex_destroy(&ep->lock);
	pthread_mutex_destroy(&ep->mtx);
	free(ep);
	return 0;
}

static const struct file_operations eventpoll_fops = {
	.poll = ep_eventpoll_poll,
	.release = ep_eventpoll_release,
};

/**
 * eventpoll_release - a watched file's last reference went
 *
 * Removes the file's items from every epoll instance, so that closing an
 * fd drops it from every set (Linux's eventpoll_release_file).
 */
void eventpoll_release(struct file *file)
{
	struct eventpoll *ep;
	struct epitem *epi;
	bool empty;

	spin_lock(&file->f_ep_lock);
	empty = list_empty(&file->f_ep_links);
	spin_unlock(&file->f_ep_lock);
	if (empty)
		return;
	/*
	 * epmutex keeps the instances alive: ep_eventpoll_release takes it
	 * too. ctl cannot touch these items: it holds a reference to its
	 * target file, and this file has none left.
	 */
	pthread_mutex_lock(&epmutex);
	for (;;) {
		spin_lock(&file->f_ep_lock);
		if (list_empty(&file->f_ep_links)) {
			spin_unlock(&file->f_ep_lock);
			break;
		}
		epi = list_first_entry(&file->f_ep_links, struct epitem, fllink);
		ep = epi->ep;
		spin_unlock(&file->f_ep_lock);
		pthread_mutex_lock(&ep->mtx);
		ep_remove(ep, epi);
		pthread_mutex_unlock(&ep->mtx);
	}
	pthread_mutex_unlock(&epmutex);
}

/* The stack of the first socket an instance watches (for its sleeps). */
struct net *ep_file_net(struct file *f)
{
	struct eventpoll *ep = f->private_data;
	struct net *net = NULL;
	struct epitem *epi;

	pthread_mutex_lock(&ep->mtx);
	for (unsigned int i = 0; i < ep->hash_size && !net; i++) {
		hlist_for_each_entry(epi, &ep->hash[i], hnode) {
			if (!is_file_epoll(epi->file))
				net = file_net(epi->file);
			if (net)
				break;
		}
	}
	pthread_mutex_unlock(&ep->mtx);
	return net;
}

/*
 * Note every watched socket's stack in the sleeper (ep->mtx held); a
 * nested epoll item contributes its first socket's stack.
 */
static void ep_note_nets(struct eventpoll *ep, struct poll_sleeper *s)
{
	struct epitem *epi;

	for (unsigned int i = 0; i < ep->hash_size; i++)
		hlist_for_each_entry(epi, &ep->hash[i], hnode)
			poll_sleeper_note(s, file_net(epi->file));
}

/**
 * do_epoll_create - epoll_create1(2)
 * @flags: 0 or EPOLL_CLOEXEC, else -EINVAL
 *
 * Returns the new epoll fd, -ENOMEM or -EMFILE.
 */
/* A new empty instance and its file (one reference), or NULL. */
static struct file *ep_alloc_file(void)
{
	struct eventpoll *ep;
	struct file *file;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->hash_size = 16;
	ep->hash = calloc(ep->hash_size, sizeof(*ep->hash));
	if (!ep->hash) {
		free(ep);
		return NULL;
	}
	pthread_mutex_init(&ep->mtx, NULL);
	pthread_mutex_init(&ep->lock, NULL);
	INIT_LIST_HEAD(&ep->rdllist);
	init_waitqueue_head(&ep->wq);
	init_waitqueue_head(&ep->poll_wait);

	file = alloc_file(&eventpoll_fops, ep, 0);
	if (!file) {
		ep_eventpoll_release(&(struct file){ .private_data = ep });
		return NULL;
	}
	ep->file = file;
	return file;
}

int do_epoll_create(int flags)
{
	struct eventpoll *ep;
	struct file *file;
	bool host;
	int fd;

	/* EPOLL_CLOEXEC is the only flag epoll_create1(2) defines. */
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	file = ep_alloc_file();
	if (!file)
		return -ENOMEM;
	ep = file->private_data;
	fd = fd_install_epoll(file, flags & EPOLL_CLOEXEC, &host);
	if (fd < 0)
		fput(file);
	else
		WRITE_ONCE(ep->host, host);
	return fd;
}

/*
 * Is the kernel fd @epfd an epoll instance? Deleting a descriptor it
 * cannot hold (this thread's doorbell) answers ENOENT from an epoll
 * instance, EINVAL from anything else. 0, -EINVAL or -EBADF.
 */
static int ep_kernel_check(int epfd)
{
	int db = sl_doorbell_fd();

	if (db < 0)
		return db;
	if (!syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_DEL, db, NULL) ||
	    errno == ENOENT)
		return 0;
	return errno == EBADF ? -EBADF : -EINVAL;
}

/**
 * do_epoll_adopt - sl_epoll_adopt(): the kernel epoll fd @epfd becomes a
 * sockline instance of the same number (host mode)
 *
 * What the kernel instance already watches stays watched (and reported by
 * epoll_wait); FD_CLOEXEC is kept. Returns @epfd, -EBADF, -EINVAL (not
 * an epoll fd, or not host mode), -EEXIST (already a sockline fd),
 * -ENOMEM.
 */
int do_epoll_adopt(int epfd)
{
	struct eventpoll *ep;
	struct file *file;
	long cloexec;
	int err;

	if (epfd < 0)
		return -EBADF;
	file = fget(epfd);
	if (file) {
		fput(file);
		return -EEXIST;
	}
	err = ep_kernel_check(epfd);
	if (err)
		return err;
	cloexec = syscall(SYS_fcntl, epfd, F_GETFD);
	if (cloexec < 0)
		return -errno;
	file = ep_alloc_file();
	if (!file)
		return -ENOMEM;
	ep = file->private_data;
	ep->host = true;
	ep->adopted = true;
	err = fd_install_host(file, epfd,
			      (cloexec & FD_CLOEXEC) ? O_CLOEXEC : 0);
	if (err < 0)
		fput(file);
	return err;
}

static bool ep_op_has_event(int op)
{
	return op != EPOLL_CTL_DEL;
}

/* Linux's do_epoll_ctl checks on the event mask, -EINVAL when broken. */
static int ep_check_event(int op, const struct epoll_event *epds,
			  struct file *tfile)
{
	/*
	 * EPOLLEXCLUSIVE shapes how the wait entry is hung, which happens
	 * once, at ADD: MOD cannot switch it on or off. With ADD it may not
	 * target an epoll fd, and only goes with the events epoll_ctl(2)
	 * lists as compatible.
	 */
	if (ep_op_has_event(op) && (epds->events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if (op == EPOLL_CTL_ADD &&
		    (is_file_epoll(tfile) ||
		     (epds->events & ~EPOLLEXCLUSIVE_OK_BITS)))
			return -EINVAL;
	}
	return 0;
}

static int ep_ctl_locked(struct eventpoll *ep, int op, struct file *tfile,
			 int fd, struct epoll_event *epds)
{
	struct epitem *epi = ep_find(ep, tfile, fd);
	int error = -EINVAL;

	switch (op) {
	case EPOLL_CTL_ADD:
		if (epi)
			return -EEXIST;
		error = ep_check_nesting(ep, tfile);
		if (error)
			return error;
		epds->events |= EPOLLERR | EPOLLHUP;
		return ep_insert(ep, epds, tfile, fd);
	case EPOLL_CTL_DEL:
		if (!epi)
			return -ENOENT;
		ep_remove(ep, epi);
		return 0;
	case EPOLL_CTL_MOD:
		if (!epi)
			return -ENOENT;
		if (!(epi->event.events & EPOLLEXCLUSIVE)) {
			epds->events |= EPOLLERR | EPOLLHUP;
			error = ep_modify(ep, epi, epds);
		}
		return error;
	}
	return error;
}

/*
 * epoll_ctl of a kernel descriptor @fd: on the kernel instance that is
 * @epfd's placeholder (raw: the shim's epoll_ctl would come back here).
 * The kernel checks and answers as epoll_ctl(2). A sleeper that sleeps on
 * sockline's wakeups alone is woken to sleep on the kernel set too.
 */
static int ep_ctl_kernel(struct eventpoll *ep, int epfd, int op, int fd,
			 struct epoll_event *event)
{
	int err = 0;

	pthread_mutex_lock(&ep->mtx);
	if (syscall(SYS_epoll_ctl, epfd, op, fd, event))
		err = -errno;
	else if (op == EPOLL_CTL_ADD)
		WRITE_ONCE(ep->nkernel, ep->nkernel + 1);
	else if (op == EPOLL_CTL_DEL && ep->nkernel)
		WRITE_ONCE(ep->nkernel, ep->nkernel - 1);
	pthread_mutex_unlock(&ep->mtx);
	if (!err && op == EPOLL_CTL_ADD && waitqueue_active(&ep->wq))
		wake_up_interruptible_poll(&ep->wq, EPOLLIN);
	return err;
}

/**
 * do_epoll_ctl - epoll_ctl(2)
 *
 * Returns 0 or, as Linux: -EFAULT (no event for ADD/MOD), -EBADF (epfd or
 * fd not open), -EINVAL (epfd not an epoll fd, fd == epfd, bad op or
 * EPOLLEXCLUSIVE misuse), -EEXIST, -ENOENT, -ELOOP, -ENOMEM. Every
 * sockline file can be polled, so Linux's -EPERM cannot happen.
 */
int do_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct epoll_event epds = { 0 };
	struct eventpoll *ep;
	struct file *f, *tf;
	int error;

	if (ep_op_has_event(op)) {
		if (!event)
			return -EFAULT;
		epds = *event;
	}
	f = fget(epfd);
	if (!f)
		return -EBADF;
	/* Resolve the fd to watch (a reference, dropped on every exit). */
	error = -EBADF;
	tf = fget(fd);
	if (!tf) {
		/* Not ours: the kernel's instance watches it (host mode). */
		if (is_file_epoll(f) &&
		    READ_ONCE(((struct eventpoll *)f->private_data)->host))
			error = ep_ctl_kernel(f->private_data, epfd, op, fd,
					      ep_op_has_event(op) ? &epds : NULL);
		goto error_fput;
	}
	/* epoll needs the target's wait queue, which only poll reaches. */
	error = -EPERM;
	if (!tf->f_op->poll)
		goto error_tgt_fput;
	/* EPOLLWAKEUP needs CAP_BLOCK_SUSPEND; without it Linux drops it. */
	if (ep_op_has_event(op))
		epds.events &= ~EPOLLWAKEUP;
	/*
	 * @epfd must name an epoll instance, and an instance may not watch
	 * itself (its own wakeups would feed it forever).
	 */
	error = -EINVAL;
	if (f == tf || !is_file_epoll(f))
		goto error_tgt_fput;
	error = ep_check_event(op, &epds, tf);
	if (error)
		goto error_tgt_fput;

	ep = f->private_data;
	pthread_mutex_lock(&ep->mtx);
	error = ep_ctl_locked(ep, op, tf, fd, &epds);
	pthread_mutex_unlock(&ep->mtx);

error_tgt_fput:
	fput(tf);
error_fput:
	fput(f);
	return error;
}

/*
 * Harvest the ready list into @events (Linux's ep_send_events), ep->mtx
 * held. Items are polled again: level-triggered ones still ready go back
 * on the list, EPOLLET ones leave it, EPOLLONESHOT ones are disabled.
 */
static int ep_send_events(struct eventpoll *ep, struct epoll_event *events,
			  int maxevents)
{
	struct poll_table_struct pt = { ._qproc = NULL };
	struct epitem *epi, *tmp;
	LIST_HEAD(txlist);
	int res = 0;

	pthread_mutex_lock(&ep->lock);
	list_for_each_entry_safe(epi, tmp, &ep->rdllist, rdllink) {
		list_del_init(&epi->rdllink);
		list_add_tail(&epi->rdllink, &txlist);
	}
	pthread_mutex_unlock(&ep->lock);

	list_for_each_entry_safe(epi, tmp, &txlist, rdllink) {
		__poll_t revents;

		if (res >= maxevents)
			break;
		/*
		 * Take the item off every list before polling it: a wakeup
		 * that arrives while we poll links it again (Linux keeps an
		 * overflow list for the same purpose).
		 */
		pthread_mutex_lock(&ep->lock);
		list_del_init(&epi->rdllink);
		epi->ready = false;
		pthread_mutex_unlock(&ep->lock);
		revents = ep_item_poll(epi, &pt);
		if (!revents)
			continue;
		pthread_mutex_lock(&ep->lock);
		events[res].events = revents;
		events[res].data = epi->event.data;
		res++;
		if (epi->event.events & EPOLLONESHOT)
			epi->event.events &= EP_PRIVATE_BITS;
		else if (!(epi->event.events & EPOLLET))
			/*
			 * Level-triggered: the condition may still hold
			 * with no new wakeup to say so, so requeue the
			 * item and let the next harvest poll it again.
			 */
			ep_set_ready(ep, epi);
		pthread_mutex_unlock(&ep->lock);
	}
	/* What did not fit goes back in front, in order. */
	pthread_mutex_lock(&ep->lock);
	while (!list_empty(&txlist)) {
		epi = list_entry(txlist.prev, struct epitem, rdllink);
		list_del_init(&epi->rdllink);
		list_add(&epi->rdllink, &ep->rdllist);
	}
	pthread_mutex_unlock(&ep->lock);
	return res;
}

/*
 * Does the kernel instance watch anything? Kernel fds closed by the
 * program leave the kernel set without us knowing: the count can only be
 * too high, which costs a kernel sleep instead of a busy poll, never an
 * event. An adopted instance may watch anything.
 */
static bool ep_has_kernel(struct eventpoll *ep)
{
	return READ_ONCE(ep->nkernel) || ep->adopted;
}

/* The kernel instance's ready events, without waiting (raw, as above). */
static int ep_kernel_events(int epfd, struct epoll_event *events,
			    int maxevents)
{
	long n = syscall(SYS_epoll_pwait, epfd, events, maxevents, 0, NULL,
			 _NSIG / 8);

	return n < 0 ? -errno : (int)n;
}

/* Sockline's ready items (Linux's ep_send_events under ep->mtx). */
static int ep_harvest_sockline(struct eventpoll *ep,
			       struct epoll_event *events, int maxevents)
{
	int res = 0;

	if (maxevents > 0 && ep_events_available(ep)) {
		pthread_mutex_lock(&ep->mtx);
		res = ep_send_events(ep, events, maxevents);
		pthread_mutex_unlock(&ep->mtx);
	}
	return res;
}

/* Both worlds' ready events; who goes first alternates. */
static int ep_harvest(struct eventpoll *ep, int epfd,
		      struct epoll_event *events, int maxevents)
{
	bool kfirst;
	int res = 0, n;

	if (!ep_has_kernel(ep))
		return ep_harvest_sockline(ep, events, maxevents);
	pthread_mutex_lock(&ep->mtx);
	kfirst = ep->kernel_first;
	ep->kernel_first = !kfirst;
	pthread_mutex_unlock(&ep->mtx);
	if (kfirst) {
		res = ep_kernel_events(epfd, events, maxevents);
		if (res < 0)
			return res;
	}
	res += ep_harvest_sockline(ep, events + res, maxevents - res);
	if (!kfirst && res < maxevents) {
		n = ep_kernel_events(epfd, events + res, maxevents - res);
		if (n < 0)
			return res ? res : n;
		res += n;
	}
	return res;
}

/* Is @f an epoll instance whose kernel placeholder watches something?
 * (poll of such an fd must ask the kernel too: do_ppoll_host.) */
bool file_epoll_has_kernel(struct file *f)
{
	return is_file_epoll(f) && ep_has_kernel(f->private_data);
}

/* Sleep on the kernel instance and the doorbell: 0, or -EINTR/-errno. */
static int ep_sleep_kernel(struct poll_sleeper *s, int epfd)
{
	struct pollfd kfds[2] = { { .fd = epfd, .events = POLLIN } };
	int ret = poll_sleeper_sleep_kernel(s, kfds, 1);

	return ret < 0 ? ret : 0;
}

/*
 * Linux's ep_poll: harvest, else sleep until a wakeup or the timeout; a
 * signal handler that runs meanwhile ends it with -EINTR (never
 * restarted, as Linux's epoll_wait).
 */
static int ep_poll(struct eventpoll *ep, int epfd, struct epoll_event *events,
		   int maxevents, int timeout)
{
	struct wait_queue_entry wait;
	struct poll_sleeper s;
	bool timed_out = timeout == 0;
	bool noted = false;
	int res = 0;

	poll_sleeper_init(&s, timeout < 0 ? -1 : timeout);
	init_waitqueue_entry(&wait, &s.waiter);
	add_wait_queue(&ep->wq, &wait);
	for (;;) {
		res = ep_harvest(ep, epfd, events, maxevents);
		if (res || timed_out)
			break;
		if (signal_pending()) {
			res = -EINTR;
			break;
		}
		if (!noted) {
			/* Which stacks (and clock) the sleep goes through. */
			pthread_mutex_lock(&ep->mtx);
			ep_note_nets(ep, &s);
			pthread_mutex_unlock(&ep->mtx);
			noted = true;
		}
		if (ep_events_available(ep))
			continue;
		if (ep_has_kernel(ep)) {
			res = ep_sleep_kernel(&s, epfd);
			if (res)
				break;
			if (poll_sleeper_expired(&s))
				timed_out = true;
		} else if (!poll_sleeper_sleep(&s)) {
			timed_out = true;
		}
	}
	remove_wait_queue(&ep->wq, &wait);
	poll_sleeper_destroy(&s);
	return res;
}

/**
 * do_epoll_wait - epoll_wait(2)
 * @timeout: milliseconds on the watched sockets' stack clock, < 0 forever
 *
 * Returns the number of events, 0 on timeout, or -EINVAL (maxevents out
 * of range, epfd not an epoll fd), -EFAULT (no buffer), -EBADF.
 */
int do_epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		  int timeout)
{
	return do_epoll_pwait(epfd, events, maxevents, timeout, NULL);
}

/**
 * do_epoll_pwait - epoll_pwait(2): do_epoll_wait with @sigmask in place
 * during the call (NULL: the thread's own). -EINTR when a signal handler
 * runs before anything is ready.
 */
int do_epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		   int timeout, const sigset_t *sigmask)
{
	struct file *f;
	sigset_t old;
	int error;

	/* epoll_wait(2): maxevents from 1 up to what fits in an int. */
	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	/* No output array (we cannot probe user memory beyond NULL). */
	if (!events)
		return -EFAULT;
	f = fget(epfd);
	if (!f)
		return -EBADF;
	/* Any fd but an epoll instance is -EINVAL, as epoll_wait(2) says. */
	error = -EINVAL;
	if (is_file_epoll(f)) {
		error = poll_set_sigmask(sigmask, &old);
		if (!error) {
			error = ep_poll(f->private_data, epfd, events,
					maxevents, timeout);
			poll_restore_sigmask(sigmask, &old);
		}
	}
	fput(f);
	return error;
}

/* fork child: a thread that is gone may have held epmutex. */
void eventpoll_atfork_child(void)
{
	epmutex = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
}
