#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>

/* The companion page's name on the LAN ("Upturn", _http._tcp), published through the avahi
   daemon with libavahi-client, as avahi's own client-publish-service example does. The
   library is opened when `serve --web` starts (not linked: no other command needs it, and a
   box without avahi still serves the page). Everything below runs on avahi's own thread,
   which calls back here; Swift only starts and stops it and hears one line per event. */
struct upturn_avahi_api {
    __typeof__(&avahi_threaded_poll_new) threaded_poll_new;
    __typeof__(&avahi_threaded_poll_get) threaded_poll_get;
    __typeof__(&avahi_threaded_poll_start) threaded_poll_start;
    __typeof__(&avahi_threaded_poll_stop) threaded_poll_stop;
    __typeof__(&avahi_threaded_poll_free) threaded_poll_free;
    __typeof__(&avahi_client_new) client_new;
    __typeof__(&avahi_client_free) client_free;
    __typeof__(&avahi_client_errno) client_errno;
    __typeof__(&avahi_strerror) strerror;
    __typeof__(&avahi_entry_group_new) entry_group_new;
    __typeof__(&avahi_entry_group_add_service) entry_group_add_service;
    __typeof__(&avahi_entry_group_commit) entry_group_commit;
    __typeof__(&avahi_entry_group_reset) entry_group_reset;
    __typeof__(&avahi_alternative_service_name) alternative_service_name;
    __typeof__(&avahi_free) free;
    __typeof__(&avahi_strdup) strdup;
};
static inline struct upturn_avahi_api *upturn_avahi_table(void) {
    static struct upturn_avahi_api table;
    return &table;
}
#define upturn_avahi (*upturn_avahi_table())

/* Opens libavahi-client once; NULL when ready, else why not (dlerror's words). */
static inline const char *upturn_avahi_load(void) {
    if (upturn_avahi.free) return NULL;
    void *library = dlopen("libavahi-client.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!library) return dlerror();
    struct upturn_avahi_api api;
#define UPTURN_AVAHI(field, symbol) if (!(*(void **)&api.field = dlsym(library, symbol))) return dlerror();
    UPTURN_AVAHI(threaded_poll_new, "avahi_threaded_poll_new")
    UPTURN_AVAHI(threaded_poll_get, "avahi_threaded_poll_get")
    UPTURN_AVAHI(threaded_poll_start, "avahi_threaded_poll_start")
    UPTURN_AVAHI(threaded_poll_stop, "avahi_threaded_poll_stop")
    UPTURN_AVAHI(threaded_poll_free, "avahi_threaded_poll_free")
    UPTURN_AVAHI(client_new, "avahi_client_new")
    UPTURN_AVAHI(client_free, "avahi_client_free")
    UPTURN_AVAHI(client_errno, "avahi_client_errno")
    UPTURN_AVAHI(strerror, "avahi_strerror")
    UPTURN_AVAHI(entry_group_new, "avahi_entry_group_new")
    UPTURN_AVAHI(entry_group_add_service, "avahi_entry_group_add_service")
    UPTURN_AVAHI(entry_group_commit, "avahi_entry_group_commit")
    UPTURN_AVAHI(entry_group_reset, "avahi_entry_group_reset")
    UPTURN_AVAHI(alternative_service_name, "avahi_alternative_service_name")
    UPTURN_AVAHI(free, "avahi_free")
    UPTURN_AVAHI(strdup, "avahi_strdup")
#undef UPTURN_AVAHI
    upturn_avahi = api;
    return NULL;
}

typedef void (*upturn_lan_report)(void *context, const char *line);

struct upturn_lan {
    AvahiThreadedPoll *poll;
    AvahiClient *client;
    AvahiEntryGroup *group;
    char *name;           /* avahi_free'd: it may be an alternative avahi made */
    char type[16];
    uint16_t port;
    int waiting_said;     /* "waiting for avahi-daemon" said once per wait */
    upturn_lan_report report;
    void *context;
};

static inline void upturn_lan_say(struct upturn_lan *lan, const char *format, const char *a, const char *b) {
    char line[256];
    snprintf(line, sizeof line, format, a, b);
    lan->report(lan->context, line);
}

static inline void upturn_lan_add(struct upturn_lan *lan, AvahiClient *client);

/* A name taken by another box on the LAN: "Upturn #2", and again. */
static inline void upturn_lan_rename(struct upturn_lan *lan, AvahiClient *client) {
    char *next = upturn_avahi.alternative_service_name(lan->name);
    upturn_avahi.free(lan->name);
    lan->name = next;
    upturn_lan_say(lan, "the name is taken on the LAN; trying '%s'%s", lan->name, "");
    upturn_lan_add(lan, client);
}

static inline void upturn_lan_group_changed(AvahiEntryGroup *group, AvahiEntryGroupState state, void *context) {
    struct upturn_lan *lan = context;
    lan->group = group;
    switch (state) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        upturn_lan_say(lan, "announced on the LAN as '%s' (%s)", lan->name, lan->type);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION:
        upturn_avahi.entry_group_reset(group);
        upturn_lan_rename(lan, NULL);
        break;
    case AVAHI_ENTRY_GROUP_FAILURE:
        upturn_lan_say(lan, "not announced on the LAN: %s%s", upturn_avahi.strerror(upturn_avahi.client_errno(lan->client)), "");
        break;
    default: break;
    }
}

static inline void upturn_lan_add(struct upturn_lan *lan, AvahiClient *client) {
    if (client) lan->client = client;
    if (!lan->group) {
        lan->group = upturn_avahi.entry_group_new(lan->client, upturn_lan_group_changed, lan);
        if (!lan->group) {
            upturn_lan_say(lan, "not announced on the LAN: %s%s", upturn_avahi.strerror(upturn_avahi.client_errno(lan->client)), "");
            return;
        }
    }
    int error = upturn_avahi.entry_group_add_service(lan->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, lan->name, lan->type,
                                                     NULL, NULL, lan->port, "path=/", NULL);
    if (error == AVAHI_ERR_COLLISION) { upturn_lan_rename(lan, NULL); return; }
    if (error >= 0) error = upturn_avahi.entry_group_commit(lan->group);
    if (error < 0) upturn_lan_say(lan, "not announced on the LAN: %s%s", upturn_avahi.strerror(error), "");
}

static inline void upturn_lan_client_changed(AvahiClient *client, AvahiClientState state, void *context) {
    struct upturn_lan *lan = context;
    lan->client = client;  /* may be called before avahi_client_new returns */
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        lan->waiting_said = 0;
        upturn_lan_add(lan, client);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        /* The host's own name is being (re)made: the service is added again when running. */
        if (lan->group) upturn_avahi.entry_group_reset(lan->group);
        break;
    case AVAHI_CLIENT_CONNECTING:
        if (!lan->waiting_said) upturn_lan_say(lan, "waiting for avahi-daemon to announce the page on the LAN%s%s", "", "");
        lan->waiting_said = 1;
        break;
    case AVAHI_CLIENT_FAILURE:
        if (upturn_avahi.client_errno(client) == AVAHI_ERR_DISCONNECTED) {
            /* The daemon went away (restarted): wait for it and announce again. */
            upturn_lan_say(lan, "avahi-daemon went away; waiting for it%s%s", "", "");
            upturn_avahi.client_free(client);
            lan->client = NULL;
            lan->group = NULL;
            lan->waiting_said = 1;
            int error = 0;
            AvahiClient *next = upturn_avahi.client_new(upturn_avahi.threaded_poll_get(lan->poll), AVAHI_CLIENT_NO_FAIL,
                                                        upturn_lan_client_changed, lan, &error);
            if (next) lan->client = next;
            else upturn_lan_say(lan, "not announced on the LAN: %s%s", upturn_avahi.strerror(error), "");
        } else {
            upturn_lan_say(lan, "not announced on the LAN: %s%s", upturn_avahi.strerror(upturn_avahi.client_errno(client)), "");
        }
        break;
    }
}

/* Starts announcing; NULL and `why` filled when it cannot begin. */
static inline struct upturn_lan *upturn_lan_start(const char *name, int https, uint16_t port,
                                                  upturn_lan_report report, void *context,
                                                  char *why, size_t why_size) {
    const char *missing = upturn_avahi_load();
    if (missing) { snprintf(why, why_size, "%s", missing); return NULL; }
    struct upturn_lan *lan = calloc(1, sizeof *lan);
    if (!lan) { snprintf(why, why_size, "out of memory"); return NULL; }
    lan->name = upturn_avahi.strdup(name);
    snprintf(lan->type, sizeof lan->type, "%s", https ? "_https._tcp" : "_http._tcp");
    lan->port = port;
    lan->report = report;
    lan->context = context;
    lan->poll = upturn_avahi.threaded_poll_new();
    int error = 0;
    /* NO_FAIL: with no daemon yet (or one restarting), wait for it rather than fail. */
    if (lan->poll) {
        lan->client = upturn_avahi.client_new(upturn_avahi.threaded_poll_get(lan->poll), AVAHI_CLIENT_NO_FAIL,
                                              upturn_lan_client_changed, lan, &error);
    }
    if (!lan->poll || !lan->client || upturn_avahi.threaded_poll_start(lan->poll) < 0) {
        snprintf(why, why_size, "%s", lan->client ? "cannot start avahi's thread" : upturn_avahi.strerror(error));
        if (lan->client) upturn_avahi.client_free(lan->client);
        if (lan->poll) upturn_avahi.threaded_poll_free(lan->poll);
        upturn_avahi.free(lan->name);
        free(lan);
        return NULL;
    }
    return lan;
}

/* Withdraws the name (freeing the client withdraws its services) and ends avahi's thread. */
static inline void upturn_lan_stop(struct upturn_lan *lan) {
    if (!lan) return;
    upturn_avahi.threaded_poll_stop(lan->poll);
    if (lan->client) upturn_avahi.client_free(lan->client);
    upturn_avahi.threaded_poll_free(lan->poll);
    upturn_avahi.free(lan->name);
    free(lan);
}
