#ifndef NFLOGD_CT_REASON_H
#define NFLOGD_CT_REASON_H
#endif
