/*
 * figure.c - gnuplot scripts, rendering and output safety (see figure.h).
 */
#include "figure.h"
#include "../formats/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int fig_format_of(const char *path, enum fig_format *fmt)
{
	const char *dot = strrchr(path, '.');
	if (!dot)
		return -1;
	if (!strcmp(dot, ".png"))
		*fmt = FIG_PNG;
	else if (!strcmp(dot, ".svg"))
		*fmt = FIG_SVG;
	else if (!strcmp(dot, ".pdf"))
		*fmt = FIG_PDF;
	else
		return -1;
	return 0;
}

int fig_begin(struct figure *f, enum fig_format fmt, double width_in, double height_in,
	      double dpi, const char *font, double default_pt, const char *title)
{
	memset(f, 0, sizeof(*f));
	f->fmt = fmt;
	f->width_in = width_in;
	f->height_in = height_in;
	f->dpi = dpi;
	f->title = title;
	/* "NAME,SIZE": the size after the last comma, when it is a number */
	const char *comma = strrchr(font, ',');
	char *end = NULL;
	double pt = comma ? strtod(comma + 1, &end) : 0;
	if (comma && end != comma + 1 && !*end && pt > 0) {
		f->font_pt = pt;
		snprintf(f->font_name, sizeof(f->font_name), "%.*s", (int)(comma - font), font);
	} else {
		f->font_pt = default_pt;
		snprintf(f->font_name, sizeof(f->font_name), "%.*s",
			 (int)(comma ? (size_t)(comma - font) : strlen(font)), font);
	}
	f->body = open_memstream(&f->text, &f->len);
	return f->body ? 0 : -1;
}

void fig_printf(struct figure *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f->body, fmt, ap);
	va_end(ap);
}

static void quote_to(FILE *out, const char *s);

double fig_font_units(const struct figure *f, double pt)
{
	return f->fmt == FIG_PDF ? pt : pt * (f->fmt == FIG_PNG ? f->dpi : 96.0) / 72.0;
}

void fig_grow(struct figure *f, double lines)
{
	if (f->may_grow && lines > 0)
		f->height_in += lines * f->font_pt * 1.25 / 72;
}

int fig_max_yticks(const struct figure *f)
{
	/* the plot is about half the height; a label and its gap 2 lines */
	int fit = (int)(f->height_in * 0.5 * 72 / (f->font_pt * 2.0));
	return fit < 3 ? 3 : fit > 8 ? 8 : fit;
}

void fig_xtics(struct figure *f, double lo, double hi)
{
	double span = hi - lo, big = fmax(fabs(lo), fabs(hi));
	if (!(span > 0) || !isfinite(span))
		return;
	/* a label: its digits and three of space, each 0.65 em; the plot
	 * is about 75% of the figure's width */
	double chars = (big >= 1 ? floor(log10(big)) + 1 : 1) + 3;
	double fit = f->width_in * 0.75 * 72 / (f->font_pt * 0.65 * chars);
	double raw = span / fmax(fit, 2), p = pow(10, floor(log10(raw)));
	double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
	fig_printf(f, "set xtics %.9g\n", step);
}

void fig_quote(struct figure *f, const char *s)
{
	quote_to(f->body, s);
}

const char *fig_glyph(unsigned char b, char buf[2])
{
	switch (b) {
	case ' ': return "\xe2\x90\xa3";  /* open box */
	case '\n': return "\xe2\x86\xb5"; /* return arrow */
	case '\t': return "\xe2\x87\xa5"; /* tab arrow */
	}
	if (b < 0x20 || b > 0x7e)
		return "\xc2\xb7"; /* middle dot */
	buf[0] = (char)b;
	buf[1] = '\0';
	return buf;
}

/* A gnuplot double-quoted string of s, to out. */
static void quote_to(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* The terminal lines for an output file name. Every terminal is told
 * sizes in its own units (see struct figure): the PDF in inches and
 * points (fontscale 1: pdfcairo's default halves the font), the SVG in
 * CSS pixels, the PNG in its pixels with lines and points scaled from
 * 96 per inch to its dpi. */
static void write_header(FILE *out, const struct figure *f, const char *output)
{
	char font[160];
	double px = f->fmt == FIG_PNG ? f->dpi : 96.0; /* pixels per inch */
	snprintf(font, sizeof(font), "%s,%.4g", f->font_name, fig_font_units(f, f->font_pt));
	int w = (int)lround(f->width_in * px), h = (int)lround(f->height_in * px);
	switch (f->fmt) {
	case FIG_PNG:
		fprintf(out, "set terminal pngcairo size %d,%d enhanced linewidth %.4g pointscale "
			     "%.4g font ", w, h, px / 96.0, px / 96.0);
		break;
	case FIG_SVG:
		fprintf(out, "set terminal svg size %d,%d mouse standalone enhanced font ", w, h);
		break;
	case FIG_PDF:
		fprintf(out, "set terminal pdfcairo size %.4gin,%.4gin enhanced fontscale 1 font ",
			f->width_in, f->height_in);
		break;
	}
	quote_to(out, font);
	fprintf(out, "\nset encoding utf8\nset output ");
	quote_to(out, output);
	fputc('\n', out);
}

/* Writes header + body to path. Returns 0 or -1 (errno set). */
static int write_script(const struct figure *f, const char *path, const char *output)
{
	FILE *out = fopen(path, "w");
	if (!out)
		return -1;
	fprintf(out, "# made by rnnbow plot; re-render with: gnuplot %s\n", strrchr(path, '/') ?
		strrchr(path, '/') + 1 : path);
	write_header(out, f, output);
	fwrite(f->text, 1, f->len, out);
	fprintf(out, "unset output\n");
	int rc = ferror(out) ? -1 : 0;
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

/* cairo writes /CreationDate (D:YYYYMMDDHHMMSS...): fix the 14 digits to
 * SOURCE_DATE_EPOCH's date, or 1970-01-01, same length, valid PDF. */
static int normalise_pdf(const char *path)
{
	FILE *fp = fopen(path, "r+b");
	if (!fp)
		return -1;
	char buf[1 << 16];
	size_t got = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[got] = '\0';
	const char *key = "/CreationDate (D:";
	char *p = memmem(buf, got, key, strlen(key));
	if (p && p + strlen(key) + 14 <= buf + got) {
		char date[15] = "19700101000000";
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		if (sde && *sde) {
			time_t t = (time_t)strtoll(sde, NULL, 10);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(date, sizeof(date), "%Y%m%d%H%M%S", &tm);
		}
		fseek(fp, (long)(p + strlen(key) - buf), SEEK_SET);
		fwrite(date, 1, 14, fp);
	}
	return fclose(fp);
}

/* Runs gnuplot on script; its stderr goes to errpath. Returns its exit
 * status, 127 when it could not be started. */
static int run_gnuplot(const char *script, const char *errpath)
{
	pid_t pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		int fd = open(errpath, O_WRONLY | O_TRUNC);
		int devnull = open("/dev/null", O_RDWR);
		if (fd >= 0)
			dup2(fd, 2);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
}

/* The first line of gnuplot's complaint, for our one-line message. */
static void first_error_line(const char *errpath, char *buf, size_t len)
{
	FILE *fp = fopen(errpath, "r");
	buf[0] = '\0';
	if (!fp)
		return;
	char line[512];
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "rror") || strstr(line, "warning")) {
			snprintf(buf, len, "%s", line);
			break;
		}
		if (!buf[0] && line[strspn(line, " ^")])
			snprintf(buf, len, "%s", line);
	}
	fclose(fp);
}

int fig_render(struct figure *f, const char *path, const char *keep_dir)
{
	const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t plen = strlen(path);
	char *tmp_out = malloc(plen + 32), *script = malloc(strlen(tmpdir) + 32);
	char *errpath = malloc(strlen(tmpdir) + 32);
	int rc = -1, fd;

	fflush(f->body);
	if (!tmp_out || !script || !errpath) {
		error("out of memory");
		goto out;
	}
	/* the temporary figure sits beside the output: rename is then atomic */
	snprintf(tmp_out, plen + 32, "%s.tmp%ld", path, (long)getpid());
	snprintf(script, strlen(tmpdir) + 32, "%s/rnnbow-plot-XXXXXX", tmpdir);
	snprintf(errpath, strlen(tmpdir) + 32, "%s/rnnbow-plot-XXXXXX", tmpdir);
	if ((fd = mkstemp(script)) < 0 || close(fd) < 0 || (fd = mkstemp(errpath)) < 0 ||
	    close(fd) < 0) {
		error("%s: cannot make a temporary file: %s", tmpdir, strerror(errno));
		goto out;
	}
	/* made here, not by gnuplot, so a directory we cannot write is
	 * reported with the figure's name and the system's reason */
	if ((fd = open(tmp_out, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 || close(fd) < 0) {
		error("%s: cannot create the figure: %s", path, strerror(errno));
		goto out_files;
	}
	if (write_script(f, script, tmp_out) < 0) {
		error("%s: cannot write the gnuplot script: %s", script, strerror(errno));
		goto out_files;
	}
	int status = run_gnuplot(script, errpath);
	if (status == 127) {
		error("gnuplot not found: install it (Debian: apt-get install gnuplot-nox)");
		goto out_files;
	}
	struct stat st;
	if (status != 0 || stat(tmp_out, &st) < 0 || st.st_size == 0) {
		char why[512];
		first_error_line(errpath, why, sizeof(why));
		error("gnuplot failed%s%s", why[0] ? ": " : "", why);
		goto out_files;
	}
	if (f->fmt == FIG_PDF && normalise_pdf(tmp_out) < 0) {
		error("%s: cannot normalise the PDF date: %s", tmp_out, strerror(errno));
		goto out_files;
	}
	if (rename(tmp_out, path) < 0) {
		error("%s: %s", path, strerror(errno));
		goto out_files;
	}
	rc = 0;
	if (keep_dir) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t klen = strlen(keep_dir) + strlen(base) + 8;
		char *kept = malloc(klen);
		if (kept) {
			snprintf(kept, klen, "%s/%s.gp", keep_dir, base);
			if (write_script(f, kept, base) < 0)
				rc = error("%s: cannot keep the script: %s", kept, strerror(errno));
			free(kept);
		}
	}
out_files:
	unlink(tmp_out);
	unlink(script);
	unlink(errpath);
out:
	free(tmp_out);
	free(script);
	free(errpath);
	fig_discard(f);
	return rc;
}

void fig_discard(struct figure *f)
{
	if (f->body)
		fclose(f->body);
	free(f->text);
	f->body = NULL;
	f->text = NULL;
}
