// SPDX-License-Identifier: GPL-2.0-only
/* `leaktrace report [OPTIONS] FILE.jsonl...`: wires the replay of one or two
 * recordings (replay.c) to what prints them: the report module itself, the
 * comparison of two reports (compare.c), and the exports (folded.c,
 * pprof.c, html.c), as main.c wires a live run. Exit status as a live run's: 0
 * done, 1 runtime failure, 2 bad usage or bad input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "compare.h"
#include "folded.h"
#include "html.h"
#include "log.h"
#include "options.h"
#include "output.h"
#include "pprof.h"
#include "replay.h"

static int write_exports(const struct lt_report_settings *s, struct replay *rp, FILE *folded,
			 FILE *pprof, FILE *html)
{
	int err = 0;

	if (html) {
		err = html__update(replay__report(rp), html, /*final=*/true);
		if (err) {
			lt_error("cannot write the HTML report to %s: %s", s->html, strerror(-err));
			return err;
		}
	}

	if (folded) {
		err = folded__write(replay__report(rp), folded, replay__system(rp));
		if (err) {
			lt_error("cannot write the folded stacks to %s: %s", s->folded,
				 strerror(-err));
			return err;
		}
	}
#ifdef LT_HAVE_PPROF
	if (pprof) {
		err = pprof__write(replay__report(rp), pprof, replay__t(rp));
		if (err)
			lt_error("cannot write the pprof profile to %s: %s", s->pprof,
				 strerror(-err));
	}
#endif
	return err;
}

/* Replays @rp up to @at; returns 0, or EXIT_INPUT when a bad line stopped
 * it (said; what came before can be printed), or a negative exit status
 * when nothing can be printed. */
static int run_to(struct replay *rp, double at)
{
	int err = replay__run(rp, at);

	if (!err)
		return 0;
	if (err == -EINVAL && replay__t(rp) >= 0)
		return EXIT_INPUT;
	return err == -EINVAL || err == -ENODATA ? -EXIT_INPUT : -EXIT_RUNTIME;
}

int cmd_report(int argc, char **argv)
{
	struct lt_report_settings s;
	struct replay *rp[2] = { NULL, NULL };
	FILE *folded = NULL, *pprof = NULL, *html = NULL;
	bool compare;
	char *name = "leaktrace report";
	int status = EXIT_DONE, st, err;

	argv[0] = name;
	lt_report_settings_parse(&s, argc, argv);
	lt_log_set_verbosity(s.verbose);
	compare = s.nr_files == 2 || s.has_from;
	for (size_t i = 0; i < (compare ? 2 : 1); i++) {
		/* a comparison in one recording replays it twice */
		rp[i] = replay__open(s.files[s.nr_files == 2 ? i : 0],
				     &(struct replay_opts){
					     .top = s.top,
					     .window = s.window,
					     .verbose = s.verbose > 0,
					     .history = s.html != NULL,
					     .text = compare || s.json ? NULL : stdout,
					     .json = compare || !s.json ? NULL : stdout,
				     });
		if (!rp[i]) {
			status = errno == ENOMEM ? EXIT_RUNTIME : EXIT_INPUT;
			goto out;
		}
	}
	if (output__open_said(s.folded, &folded) || output__open_said(s.pprof, &pprof) ||
	    output__open_said(s.html, &html)) {
		status = EXIT_INPUT;
		goto out;
	}
	if (!compare) {
		st = run_to(rp[0], s.at);
		if (st < 0) {
			status = -st;
			goto out;
		}
		status = st;
		err = replay__emit(rp[0]);
		if (err) {
			lt_error("cannot write the report: %s", strerror(-err));
			status = EXIT_RUNTIME;
			goto out;
		}
		if (write_exports(&s, rp[0], folded, pprof, html))
			status = EXIT_RUNTIME;
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		st = run_to(rp[i], i ? s.to : s.from);
		if (st < 0) {
			status = -st;
			goto out;
		}
		status = status ?: st;
	}
	err = compare__print(&(struct compare_side){ .report = replay__report(rp[0]),
						     .name = replay__path(rp[0]),
						     .t = replay__t(rp[0]) },
			     &(struct compare_side){ .report = replay__report(rp[1]),
						     .name = replay__path(rp[1]),
						     .t = replay__t(rp[1]) },
			     s.top ? s.top : 10, replay__system(rp[0]) || replay__system(rp[1]),
			     s.json ? NULL : stdout, s.json ? stdout : NULL);
	if (err) {
		lt_error("cannot write the comparison: %s", strerror(-err));
		status = EXIT_RUNTIME;
		goto out;
	}
	if (write_exports(&s, rp[1], folded, pprof, html))
		status = EXIT_RUNTIME;
out:
	replay__free(rp[0]);
	replay__free(rp[1]);
	if (folded)
		fclose(folded);
	if (pprof)
		fclose(pprof);
	if (html)
		fclose(html);
	return status;
}
