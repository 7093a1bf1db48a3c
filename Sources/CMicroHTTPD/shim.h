#include <dlfcn.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

/* libmicrohttpd is opened when `serve --web` starts its server, not linked: it brings GnuTLS
   and ten more libraries, which cost every other `upturn` command about 13 ms of start-up and
   3 MB of memory (measured). Only WebServer.swift imports this module, so the table below
   exists once. */
struct upturn_mhd_api {
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *, MHD_AccessHandlerCallback, void *, ...);
    void (*stop_daemon)(struct MHD_Daemon *);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *, enum MHD_ConnectionInfoType, ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
    struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
    struct MHD_Response *(*create_response_from_callback)(uint64_t, size_t, MHD_ContentReaderCallback, void *, MHD_ContentReaderFreeCallback);
    enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy_response)(struct MHD_Response *);
};
/* The table, as a function's static (Swift emits the functions a header defines, not its
   global variables). */
static inline struct upturn_mhd_api *upturn_mhd_table(void) {
    static struct upturn_mhd_api table;
    return &table;
}
#define upturn_mhd (*upturn_mhd_table())

/* Opens the library once; NULL when ready, else why not (dlerror's words). */
static inline const char *upturn_web_load(void) {
    if (upturn_mhd.destroy_response) return NULL;
    void *library = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!library) return dlerror();
    struct upturn_mhd_api api;
#define UPTURN_MHD(field, symbol) if (!(*(void **)&api.field = dlsym(library, symbol))) return dlerror();
    UPTURN_MHD(start_daemon, "MHD_start_daemon")
    UPTURN_MHD(stop_daemon, "MHD_stop_daemon")
    UPTURN_MHD(get_daemon_info, "MHD_get_daemon_info")
    UPTURN_MHD(get_connection_info, "MHD_get_connection_info")
    UPTURN_MHD(lookup_connection_value, "MHD_lookup_connection_value")
    UPTURN_MHD(create_response_from_buffer, "MHD_create_response_from_buffer")
    UPTURN_MHD(create_response_from_callback, "MHD_create_response_from_callback")
    UPTURN_MHD(add_response_header, "MHD_add_response_header")
    UPTURN_MHD(queue_response, "MHD_queue_response")
    UPTURN_MHD(destroy_response, "MHD_destroy_response")
#undef UPTURN_MHD
    upturn_mhd = api;
    return NULL;
}

/* MHD_start_daemon is variadic, which does not import into Swift: the companion page's
   server is started here with its options fixed (WebServer.swift says why each). One thread
   per connection (an event stream sleeps in poll on its own thread); the listening address
   is given whole (IPv4 or IPv6). With a certificate and key (PEM, NULL for none) it speaks
   HTTPS through GnuTLS. */
static inline struct MHD_Daemon *upturn_web_start(const struct sockaddr *address, int ipv6,
                                                  const char *certificate, const char *key,
                                                  MHD_AccessHandlerCallback handler, void *handler_context,
                                                  MHD_RequestCompletedCallback completed, void *completed_context,
                                                  unsigned int connection_limit, unsigned int per_address_limit,
                                                  unsigned int timeout_seconds, size_t memory_limit) {
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (ipv6) flags |= MHD_USE_IPv6;
    /* One list of options, with the certificate and key first when there are both. */
    struct MHD_OptionItem options[10];
    unsigned int n = 0;
    if (certificate && key) {
        flags |= MHD_USE_TLS;
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)certificate};
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key};
    }
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)address};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, completed_context};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)connection_limit, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_address_limit, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)timeout_seconds, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)memory_limit, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_STACK_SIZE, (intptr_t)(512 * 1024), NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return upturn_mhd.start_daemon(flags, 0, NULL, NULL, handler, handler_context, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

static inline void upturn_web_stop(struct MHD_Daemon *daemon) { upturn_mhd.stop_daemon(daemon); }

/* The port the daemon listens on (asked for as 0: the kernel's choice). */
static inline uint16_t upturn_web_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = upturn_mhd.get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/* The peer's address, for the log. */
static inline const struct sockaddr *upturn_web_peer(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = upturn_mhd.get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

static inline const char *upturn_web_header(struct MHD_Connection *connection, const char *name) {
    return upturn_mhd.lookup_connection_value(connection, MHD_HEADER_KIND, name);
}

/* A response holding its own copy of the bytes. */
static inline struct MHD_Response *upturn_web_response(size_t size, const void *bytes) {
    return upturn_mhd.create_response_from_buffer(size, (void *)bytes, MHD_RESPMEM_MUST_COPY);
}

/* A response read from a callback, of unknown length (an event stream). */
static inline struct MHD_Response *upturn_web_stream(MHD_ContentReaderCallback reader, void *context, MHD_ContentReaderFreeCallback done) {
    return upturn_mhd.create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, context, done);
}

static inline enum MHD_Result upturn_web_add_header(struct MHD_Response *response, const char *name, const char *value) {
    return upturn_mhd.add_response_header(response, name, value);
}

static inline enum MHD_Result upturn_web_queue(struct MHD_Connection *connection, unsigned int status, struct MHD_Response *response) {
    return upturn_mhd.queue_response(connection, status, response);
}

static inline void upturn_web_destroy(struct MHD_Response *response) { upturn_mhd.destroy_response(response); }
