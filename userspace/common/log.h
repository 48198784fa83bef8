/* SPDX-License-Identifier: GPL-2.0 */
/* The one logging path: every message, libbpf's included, goes through log_print. */
#ifndef ANYEDGE_LOG_H
#define ANYEDGE_LOG_H

/* syslog priorities 3, 4, 6 and 7 under journald */
enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* Route libbpf's messages through log_print (libbpf's debug only at LOG_DEBUG). */
void log_hook_libbpf(void);
void log_print(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) log_print(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif /* ANYEDGE_LOG_H */
