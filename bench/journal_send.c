/* journal_send: N journal entries as fast as journald takes them, each a
 * LOG-style MESSAGE plus K extra fields, over the native protocol; prints
 * its own CPU time per entry.  bench/journald-fields.sh uses it to measure
 * what journald spends per entry as the number of fields grows.
 *
 *   journal_send N K SOCKET_PATH
 *
 * Five of the extra fields carry per-entry values (as a packet's ports and
 * sequence numbers do), the rest constants.  When journald's queue is
 * full it sleeps 1 ms rather than wake up once per entry journald reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0, t1, nap = { 0, 1000000 };
	struct rusage ru;
	char buf[8192];
	long n, k;
	int fd, size = 8 << 20;

	if (argc != 4 || strlen(argv[3]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: journal_send N K SOCKET_PATH\n");
		return 2;
	}
	n = atol(argv[1]);
	k = atol(argv[2]);
	strcpy(sa.sun_path, argv[3]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(argv[3]);
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int l = snprintf(buf, sizeof(buf),
				 "MESSAGE=bench: IN=vr OUT= SRC=10.98.0.1 DST=10.98.0.2 "
				 "LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=%ld DF PROTO=UDP "
				 "SPT=40000 DPT=%ld LEN=40 \nSYSLOG_IDENTIFIER=journal_send\n",
				 i & 0xffff, 1024 + i % 60000);

		for (long f = 0; f < k && l < (int)sizeof(buf) - 64; f++)
			l += snprintf(buf + l, sizeof(buf) - (size_t)l, "FIELD_%02ld=%ld\n",
				      f, f < 5 ? i % 60000 + f : f);
		while (send(fd, buf, (size_t)l, MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN) {
				perror("send");
				return 1;
			}
			nanosleep(&nap, NULL);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("sent %ld entries with %ld extra fields in %.3f s, %.2f us CPU per entry\n",
	       n, k, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ((double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
		(double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec) / (double)n);
	return 0;
}
