/*
 * exportdir.c - the folder of an export (see exportdir.h).
 */
#include "exportdir.h"
#include "msg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 when entry is one of the set's names or its .part. */
static int is_ours(const struct export_dir *d, const char *entry)
{
	size_t len = strlen(entry);
	for (int i = 0; i < d->n; i++) {
		size_t k = strlen(d->names[i]);
		if (!strncmp(entry, d->names[i], k) && (len == k || !strcmp(entry + k, ".part")))
			return 1;
	}
	return 0;
}

/* Looks at every entry of an existing folder: -1 (message) when one is not
 * ours, else the number of ours. */
static int survey(const struct export_dir *d)
{
	DIR *dh = opendir(d->dir);
	struct dirent *e;
	int ours = 0;
	if (!dh)
		return error("%s: %s", d->dir, sys_reason(errno));
	while ((e = readdir(dh))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!is_ours(d, e->d_name)) {
			error("%s: holds '%s', which no export wrote: refusing to write there "
			      "(give a new or empty folder)", d->dir, e->d_name);
			closedir(dh);
			return -1;
		}
		ours++;
	}
	closedir(dh);
	return ours;
}

/* mkdir -p dir, noting the first folder made. */
static int make_dirs(struct export_dir *d)
{
	char path[4096];
	size_t len = strlen(d->dir);
	if (len >= sizeof(path))
		return error("%s: path too long", d->dir);
	memcpy(path, d->dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		if (i < len && path[i + 1] == '/')
			continue; /* "a//b": the next slash ends it */
		path[i] = 0;
		if (mkdir(path, 0777) == 0) {
			if (!d->created)
				d->created = i;
		} else if (errno != EEXIST) {
			int e = errno;
			error("%s: cannot create the folder %s: %s", d->dir, path, sys_reason(e));
			export_dir_abort(d);
			return -1;
		}
		path[i] = i < len ? '/' : 0;
	}
	return 0;
}

int export_dir_open(struct export_dir *d, const char *dir, const char *const *names, int n,
		    int force)
{
	struct stat st;
	memset(d, 0, sizeof(*d));
	d->dir = dir;
	d->names = names;
	d->n = n;
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			return error("%s: %s", dir, sys_reason(errno));
		return make_dirs(d);
	}
	if (!S_ISDIR(st.st_mode))
		return error("%s: exists and is not a folder", dir);
	int ours = survey(d);
	if (ours < 0)
		return -1;
	if (ours > 0 && !force)
		return error("%s: holds an earlier export: --force replaces it", dir);
	if (access(dir, W_OK) < 0)
		return error("%s: %s", dir, sys_reason(errno));
	return 0;
}

const char *export_dir_part(struct export_dir *d, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.part", d->dir, d->names[i]);
	d->written[i] = 1;
	return buf;
}

static void final_path(const struct export_dir *d, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->dir, d->names[i]);
}

int export_dir_commit(struct export_dir *d)
{
	char part[4104], dst[4096];
	final_path(d, d->n - 1, dst, sizeof(dst));
	if (unlink(dst) < 0 && errno != ENOENT)
		goto fail;
	for (int i = 0; i < d->n; i++) {
		final_path(d, i, dst, sizeof(dst));
		if (!d->written[i]) { /* an earlier export's file this one has not */
			if (unlink(dst) < 0 && errno != ENOENT)
				goto fail;
			continue;
		}
		snprintf(part, sizeof(part), "%s.part", dst);
		if (rename(part, dst) < 0)
			goto fail;
		d->written[i] = 0;
	}
	return 0;
fail:
	error("%s: %s", dst, sys_reason(errno));
	export_dir_abort(d);
	return -1;
}

void export_dir_abort(struct export_dir *d)
{
	char part[4104];
	for (int i = 0; i < d->n; i++)
		if (d->written[i]) {
			export_dir_part(d, i, part, sizeof(part));
			unlink(part);
			d->written[i] = 0;
		}
	if (!d->created)
		return;
	/* the folders made here, leaf first; rmdir removes only empty ones, so
	 * a committed file keeps its folder */
	char path[4096];
	snprintf(path, sizeof(path), "%s", d->dir);
	for (size_t len = strlen(path); len >= d->created; len--) {
		if (path[len] != '/' && path[len] != 0)
			continue;
		path[len] = 0;
		if (len && path[len - 1] == '/')
			continue;
		if (rmdir(path) < 0)
			break;
	}
}
