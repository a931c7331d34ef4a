#!/usr/bin/env bash
# A Dovecot IMAP server for the mailbox tests: one user with a Maildir, plain login on loopback
# only, on a port of its own, configured from scratch in a folder of its own (the system's
# /etc/dovecot is not used). Installs dovecot-imapd from Debian's packages when it is missing.
#
#   .ci/dovecot.sh [FOLDER]   then   TEST_IMAP_URL=imap://ofsted@127.0.0.1:10143
set -euo pipefail

root="${1:-${TMPDIR:-/tmp}/ofsted-dovecot}"
port="${OFSTED_IMAP_PORT:-10143}"
user="${OFSTED_IMAP_USER:-ofsted}"
password="${OFSTED_IMAP_PASSWORD:-mailbox-test-password}"

if ! command -v dovecot >/dev/null 2>&1; then
    echo "ci: installing dovecot-imapd from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q dovecot-imapd >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dovecot-imapd >/dev/null; }
fi

mkdir -p "$root/run" "$root/mail"
# Dovecot will not run its login processes, nor a mail user, as root: under root (a CI
# container) they run as the dovenull and dovecot users Debian's package made.
if [ "$(id -u)" -eq 0 ]; then
    owner=dovecot; login=dovenull
else
    owner="$(id -un)"; login="$owner"
fi
group="$(id -gn "$owner")"
mkdir -p "$root/mail/$user"
chown -R "$owner:$group" "$root/mail"
echo "$user:{PLAIN}$password:$(id -u "$owner"):$(id -g "$owner")::$root/mail/$user" > "$root/users"
cat > "$root/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $root/run
state_dir = $root/run
log_path = $root/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_privileged_group = $group
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = $owner
default_login_user = $login
passdb {
  driver = passwd-file
  args = $root/users
}
userdb {
  driver = passwd-file
  args = $root/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 200
}
CONF

if [ -f "$root/run/master.pid" ] && kill -0 "$(cat "$root/run/master.pid")" 2>/dev/null; then
    old="$(cat "$root/run/master.pid")"
    kill "$old" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
fi
dovecot -c "$root/dovecot.conf"
for _ in $(seq 1 30); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "imap://$user@127.0.0.1:$port"
        exit 0
    fi
    sleep 0.5
done
echo "ci: Dovecot did not start; see $root/dovecot.log" >&2
exit 1
