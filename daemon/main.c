/* nflogd: command line, start-up order, exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include "config.h"
#include "daemon.h"
#include "fmt_log.h"
#include "log.h"
#include "read_pcap.h"
#include "reload_cmd.h"
#include "stats.h"

#define NFLOGD_VERSION "0.1.0"
/* under systemd's default TimeoutSec= of 90 s, which also bounds
 * ExecReload= */
#define RELOAD_TIMEOUT_S 80

#ifndef NFLOGD_DEFAULT_CONFIG
#define NFLOGD_DEFAULT_CONFIG "/etc/nflogd/nflogd.conf"
#endif

static void usage(FILE *f)
{
	fputs("Usage: nflogd [-c FILE] [--log-target auto|journal|stderr]\n"
	      "       nflogd [-c FILE] --check-config | --print-config\n"
	      "       nflogd [-c FILE] --status [--json]\n"
	      "       nflogd [-c FILE] --reload\n"
	      "       nflogd --read FILE.pcap [--format log|json] "
	      "[--log-flags LIST] [--ifname INDEX=NAME]...\n"
	      "       nflogd --version | --help\n"
	      "\n"
	      "  -c, --config FILE    configuration (default " NFLOGD_DEFAULT_CONFIG ")\n"
	      "  -n, --check-config   validate the configuration, touch nothing, exit\n"
	      "      --print-config   print the configuration with every default filled in\n"
	      "  -s, --status         print the running daemon's counters (--json: as JSON)\n"
	      "      --reload         check FILE, make the running daemon reload it (SIGHUP)\n"
	      "                       and wait for the result (exit 0 reloaded, 1 rejected:\n"
	      "                       the previous configuration runs on, 2 no daemon)\n"
	      "      --log-target T   where nflogd's own messages go (default auto: the\n"
	      "                       journal under systemd, else stderr)\n"
	      "  -r, --read FILE      decode a capture of link type NFLOG (tcpdump -i nflog:N -w FILE)\n"
	      "  -f, --format FMT     log (the kernel LOG line, default) or json (one object per line)\n"
	      "  -F, --log-flags LIST LOG flags as a rule sets them: tcpseq,tcpopt,ipopt,uid,macdecode,\n"
	      "                       all or none (default none)\n"
	      "  -i, --ifname I=NAME  name interface index I (default: this network namespace's names)\n",
	      f);
}

static int parse_ifname(struct read_opts *o, const char *arg)
{
	char *end;
	unsigned long idx = strtoul(arg, &end, 10);
	size_t len;

	if (end == arg || *end != '=' || idx == 0 || idx > 0xffffffffUL)
		return -EINVAL;
	len = strlen(end + 1);
	if (len == 0 || len >= sizeof(o->ifnames[0].name) ||
	    o->n_ifnames == READ_MAX_IFNAMES)
		return -EINVAL;
	o->ifnames[o->n_ifnames].index = (unsigned int)idx;
	memcpy(o->ifnames[o->n_ifnames].name, end + 1, len + 1);
	o->n_ifnames++;
	return 0;
}

/* --check-config, --print-config, --status: read the file, touch nothing. */
static int config_command(const char *path, bool check, bool print,
			  bool status, bool json)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;
	int ret;

	if (!errs)
		return 1;
	if (daemon_load_config(path, &cfg, errs) < 0) {
		for (unsigned int i = 0; i < errs->n && i < CONFIG_MAX_ERRORS; i++)
			fprintf(stderr, "%s\n", errs->msg[i]);
		if (errs->n > CONFIG_MAX_ERRORS)
			fprintf(stderr, "... and %u more errors\n",
				errs->n - CONFIG_MAX_ERRORS);
		fprintf(stderr, "nflogd: %s: %u error(s)\n", path, errs->n);
		free(errs);
		return 1;
	}
	free(errs);
	ret = 0;
	if (print)
		config_print(cfg, stdout);
	else if (status)
		ret = stats_print_status(cfg->runtime_dir, json);
	else if (check)
		printf("%s: configuration OK\n", path);
	free(cfg);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "log-flags", required_argument, NULL, 'F' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "status", no_argument, NULL, 's' },
		{ "reload", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "log-target", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct read_opts ro = { .format = READ_FORMAT_LOG };
	const char *bad, *config = NFLOGD_DEFAULT_CONFIG;
	bool check = false, print = false, status = false, json = false;
	bool reload = false;
	enum log_target target = LOG_TARGET_AUTO;
	int c;

	while ((c = getopt_long(argc, argv, "r:f:F:i:c:nsjhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'P':
			print = true;
			break;
		case 's':
			status = true;
			break;
		case 'R':
			reload = true;
			break;
		case 'j':
			json = true;
			break;
		case 'L':
			if (!strcmp(optarg, "auto"))
				target = LOG_TARGET_AUTO;
			else if (!strcmp(optarg, "journal"))
				target = LOG_TARGET_JOURNAL;
			else if (!strcmp(optarg, "stderr"))
				target = LOG_TARGET_STDERR;
			else {
				fprintf(stderr, "nflogd: --log-target %s: allowed: "
					"auto, journal, stderr\n", optarg);
				return 2;
			}
			break;
		case 'r':
			ro.path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "log") == 0)
				ro.format = READ_FORMAT_LOG;
			else if (strcmp(optarg, "json") == 0)
				ro.format = READ_FORMAT_JSON;
			else {
				fprintf(stderr, "nflogd: --format %s: unknown format; "
					"allowed: log, json\n", optarg);
				return 2;
			}
			break;
		case 'F':
			if (fmt_log_parse_flags(optarg, &ro.log_flags, &bad) < 0) {
				fprintf(stderr, "nflogd: --log-flags: unknown flag at "
					"'%s'; allowed: tcpseq, tcpopt, ipopt, uid, "
					"macdecode, all, none\n", bad);
				return 2;
			}
			break;
		case 'i':
			if (parse_ifname(&ro, optarg) < 0) {
				fprintf(stderr, "nflogd: --ifname %s: expected "
					"INDEX=NAME (index > 0, name under 16 "
					"characters, at most %d)\n", optarg,
					READ_MAX_IFNAMES);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("nflogd " NFLOGD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nflogd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (ro.path)
		return read_pcap(&ro, stdout) < 0 ? 1 : 0;
	if (reload)
		return reload_command(config, RELOAD_TIMEOUT_S);
	if (check || print || status)
		return config_command(config, check, print, status, json);
	return daemon_run(config, target);
}
