/*
 * claim.c - exclusive ownership of ports, control socket, native port and file prefix
 * (see claim.h).
 */
#include "claim.h"

#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLAIMS_MAX      (MAX_WORKERS + 8)
#define CLAIM_PATH_MAX  256
#define CLAIM_TRIES_MAX 20 /* lock attempts when the file is replaced or its holder just left */

struct held {
    int fd;
    char path[CLAIM_PATH_MAX];
};

static struct held held[CLAIMS_MAX];
static int nheld;

/* /var/run/dpcache for root, else $XDG_RUNTIME_DIR/dpcache or /tmp/dpcache-<uid> (created). */
static const char *lock_dir(void)
{
    static char dir[CLAIM_PATH_MAX];
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (dir[0])
        return dir;
    if (getuid() == 0)
        snprintf(dir, sizeof(dir), "/var/run/dpcache");
    else if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof(dir), "%s/dpcache", xdg);
    else
        snprintf(dir, sizeof(dir), "/tmp/dpcache-%u", (unsigned)getuid());
    mkdir(dir, 0755);
    return dir;
}

/* The network namespace's inode: ports and interfaces are per namespace. */
static unsigned long netns_id(void)
{
    struct stat st;

    return stat("/proc/self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

void claim_pid_name(long pid, char *out, size_t len)
{
    char p[64], comm[32] = "";
    FILE *f;

    out[0] = '\0';
    snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
    f = fopen(p, "r");
    if (!f)
        return;
    if (fgets(comm, sizeof(comm), f)) {
        comm[strcspn(comm, "\n")] = '\0';
        if (comm[0])
            snprintf(out, len, "%s ", comm);
    }
    fclose(f);
}

/* Who holds a write lock on @fd's file: its pid, 0 if nobody (or not visible from here). */
static long lock_holder(int fd)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

    if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
        return 0;
    return (long)fl.l_pid;
}

/*
 * lock: take the lock file @path for the life of the process. 0; -EBUSY with *@holder the pid
 * that has it; another -errno if the file cannot be made. A holder removes its file at exit
 * while it still holds the lock, so a lock taken on a file that is no longer at @path is
 * worthless: it is dropped and taken again on the new file.
 */
static int lock(const char *path, long *holder)
{
    for (int tries = 0; tries < CLAIM_TRIES_MAX; tries++) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        struct stat a, b;
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

        if (fd < 0)
            return -errno;
        if (fcntl(fd, F_SETLK, &fl) < 0) {
            int e = errno;
            *holder = (e == EACCES || e == EAGAIN) ? lock_holder(fd) : 0;
            close(fd);
            if (e != EACCES && e != EAGAIN)
                return -e;
            if (*holder > 0)
                return -EBUSY;
            usleep(1000); /* the holder left between the two calls: try again */
            continue;
        }
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            char pid[24];
            int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n) {
                /* the pid in the file is for people; the lock is what counts */
            }
            if (nheld == CLAIMS_MAX) {
                close(fd);
                return -ENOSPC;
            }
            held[nheld].fd = fd;
            snprintf(held[nheld].path, sizeof(held[nheld].path), "%s", path);
            nheld++;
            return 0;
        }
        close(fd); /* removed or replaced meanwhile */
    }
    *holder = 0;
    return -EBUSY;
}

/* lock @path; when it is held write "<what> is already used by <name> pid N (lock <path>):
 * <fix>" and return -1. A file that cannot be made is an error too when @must, else left to whoever uses
 * the thing next (0). */
static int claim(const char *path, const char *what, const char *fix, int must, char *err,
                 size_t errlen)
{
    long holder = 0;
    char name[40];
    int rc = lock(path, &holder);

    if (rc == 0 || (rc != -EBUSY && !must))
        return 0;
    if (rc == -EBUSY) {
        claim_pid_name(holder, name, sizeof(name));
        if (holder > 0)
            snprintf(err, errlen, "%s is already used by %spid %ld (lock %s): %s", what, name,
                     holder, path, fix);
        else
            snprintf(err, errlen, "%s is already used by another process (lock %s): %s", what, path,
                     fix);
    } else {
        snprintf(err, errlen,
                 "cannot take the lock %s for %s: %s (its directory must be "
                 "writable by this user)",
                 path, what, strerror(-rc));
    }
    return -1;
}

static int claim_port(int port, const char *what, const char *fix, char *err, size_t errlen)
{
    char path[CLAIM_PATH_MAX];

    snprintf(path, sizeof(path), "%s/port-%d.net%lu.lock", lock_dir(), port, netns_id());
    return claim(path, what, fix, 1, err, errlen);
}

/* The interface a vdev spec names ("net_tap0,iface=dp0" -> "dp0"), "" if none. */
static void spec_iface(const char *spec, char *out, size_t len)
{
    const char *p = strstr(spec, ",iface=");

    out[0] = '\0';
    if (p)
        snprintf(out, len, "%.*s", (int)strcspn(p + 7, ","), p + 7);
}

static int claim_native(const char *spec, char *err, size_t errlen)
{
    char path[CLAIM_PATH_MAX], what[160], ifname[64];

    if (strncmp(spec, "net_", 4) == 0) {
        spec_iface(spec, ifname, sizeof(ifname));
        if (!ifname[0] || strchr(ifname, '/'))
            return 0; /* a vdev on no interface (memif, ring, null): nothing host-wide */
        snprintf(path, sizeof(path), "%s/iface-%s.net%lu.lock", lock_dir(), ifname, netns_id());
        snprintf(what, sizeof(what), "the native port's interface %s (--native-port %.64s)", ifname,
                 spec);
        return claim(path, what,
                     "give this instance a port of its own (--native-port "
                     "net_tap0,iface=<name> --native-addr <a.b.c.d/len>)",
                     1, err, errlen);
    }
    if (strchr(spec, '/'))
        return 0;
    snprintf(path, sizeof(path), "%s/pci-%s.lock", lock_dir(), spec);
    snprintf(what, sizeof(what), "the native port %.64s", spec);
    return claim(path, what, "give this instance a device of its own (--native-port)", 1, err,
                 errlen);
}

/* The file prefix of EAL arguments ("rte" by default), NULL when DPDK keeps no shared files. */
static const char *eal_prefix(char *const *eal, int neal)
{
    const char *prefix = "rte";

    for (int i = 1; i < neal; i++) {
        if (!strcmp(eal[i], "--in-memory") || !strcmp(eal[i], "--no-shconf"))
            return NULL;
        if (!strcmp(eal[i], "--file-prefix") && i + 1 < neal)
            prefix = eal[++i];
        else if (!strncmp(eal[i], "--file-prefix=", 14))
            prefix = eal[i] + 14;
    }
    return prefix;
}

/* DPDK locks <runtime>/dpdk/<prefix>/config while a primary process runs: name its holder
 * before rte_eal_init fails with "Cannot create lock". */
static int check_prefix(const char *prefix, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char path[CLAIM_PATH_MAX], name[40];
    long holder;
    int fd;

    if (!prefix || strchr(prefix, '/'))
        return 0;
    snprintf(path, sizeof(path), "%s/dpdk/%s/config",
             getuid() == 0 ? "/var/run" : (xdg && xdg[0] ? xdg : "/tmp"), prefix);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* no primary has run with this prefix (or DPDK will say why it cannot) */
    holder = lock_holder(fd);
    close(fd);
    if (holder <= 0)
        return 0;
    claim_pid_name(holder, name, sizeof(name));
    snprintf(err, errlen,
             "DPDK file prefix '%s' is already used by %spid %ld (lock %s): give each instance "
             "its own --file-prefix (an EAL argument; without EAL arguments dpcache uses "
             "dpcache<port>)",
             prefix, name, holder, path);
    return -1;
}

int claim_start(const char *ctl_path, const char *native_spec, char *const *eal, int neal,
                char *err, size_t errlen)
{
    char path[CLAIM_PATH_MAX], what[CLAIM_PATH_MAX + 32];

    snprintf(what, sizeof(what), "port %lld", srv.cfg.port);
    if (srv.cfg.port &&
        claim_port((int)srv.cfg.port, what,
                   "stop that dpcache first, or give this one another --port", err, errlen))
        return -1;
    /* a socket path that cannot take a lock file beside it (no such directory ...) cannot
     * take the socket either: ctl_start says so */
    snprintf(path, sizeof(path), "%s.lock", ctl_path);
    snprintf(what, sizeof(what), "the control socket %s", ctl_path);
    if (ctl_path[0] &&
        claim(path, what, "give this instance its own --control-socket", 0, err, errlen))
        return -1;
    if (native_spec && claim_native(native_spec, err, errlen))
        return -1;
    return check_prefix(eal_prefix(eal, neal), err, errlen);
}

int claim_core_ports(int base, int n, char *err, size_t errlen)
{
    for (int i = 0; base > 0 && i < n && base + i <= 65535; i++) {
        char what[96];
        snprintf(what, sizeof(what), "core port %d (worker %d of --core-port-base %d)", base + i, i,
                 base);
        if (base + i == srv.cfg.port)
            continue; /* ours already (a configuration the listeners refuse later) */
        if (claim_port(base + i, what,
                       "stop that dpcache first, or give this one another --core-port-base "
                       "(0: no core ports)",
                       err, errlen))
            return -1;
    }
    return 0;
}

void claim_release(void)
{
    /* unlink while still locked: a newcomer that opened the old file finds it gone after
     * taking its lock and starts over on a new one (lock()) */
    for (int i = nheld - 1; i >= 0; i--) {
        unlink(held[i].path);
        close(held[i].fd);
    }
    nheld = 0;
}
