/* nflogd: command line, start-up order, exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt_log.h"
#include "read_pcap.h"

#define NFLOGD_VERSION "0.1.0"

static void usage(FILE *f)
{
	fputs("Usage: nflogd --read FILE.pcap [--format log|json] "
	      "[--log-flags LIST] [--ifname INDEX=NAME]...\n"
	      "       nflogd --version | --help\n"
	      "\n"
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "log-flags", required_argument, NULL, 'F' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct read_opts ro = { .format = READ_FORMAT_LOG };
	const char *bad;
	int c;

	while ((c = getopt_long(argc, argv, "r:f:F:i:hV", longopts, NULL)) != -1) {
		switch (c) {
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

	fputs("nflogd: the daemon mode is not built yet; use --read FILE\n", stderr);
	usage(stderr);
	return 2;
}
