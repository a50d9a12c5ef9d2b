#!/bin/bash
# Build vz's VM boot kit: what every VM needs besides its OS template.
#
#   mkkit.sh DIR
#
# DIR (normally $TEMPLATE/vm) receives:
#   vmlinuz     a Debian kernel (package linux-image-amd64, or the .deb named
#               by VZ_VM_KERNEL_DEB), booted directly by QEMU (-kernel)
#   initrd.img  a ~1.5 MB busybox initramfs: loads the virtio/ext4 modules,
#               applies vz's boot parameters (vz.hostname=, vz.ip=, vz.ns=),
#               mounts /dev/vda and switch_roots into the image; with
#               vz.probe=1 it only prints VZ-PROBE-OK and powers off (the
#               acceleration probe)
#   guest/      copied into every VM image by `vzctl create --vmtype vm`:
#               usr/lib/vz-guest/{busybox,vminit,acpi/,ga/} (static busybox,
#               the first process in the image, the power-button action and
#               the host's qemu-ga with its libraries and loader)
#
# The kit is built once per host (a minute, mostly the kernel download) and
# shared by all VMs; it is replaced atomically (DIR.new, then rename).
set -euo pipefail
prog=vm/mkkit.sh
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: mkkit.sh DIR"
out=$1
busybox=${VZ_BUSYBOX:-/bin/busybox}
qga=${VZ_QEMU_GA:-/usr/sbin/qemu-ga}
[ -x "$busybox" ] || die "no static busybox at \`$busybox\` (apt-get install busybox-static)"
[ -x "$qga" ] || die "no qemu-ga at \`$qga\` (apt-get install qemu-guest-agent)"

# Two builds of one kit share DIR.new: the second waits for the first.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
work=$(mktemp -d "${TMPDIR:-/tmp}/vz-vmkit.XXXXXX")
cleanup() { rm -rf -- "$work" "$out.new"; }
trap cleanup EXIT

# ---- kernel -----------------------------------------------------------------
deb=${VZ_VM_KERNEL_DEB:-}
if [ -z "$deb" ]; then
	(cd "$work" && apt-get download -q linux-image-amd64 >/dev/null 2>&1) ||
		die "apt-get download linux-image-amd64 failed"
	dep=$(dpkg-deb -f "$work"/linux-image-amd64_*.deb Depends | sed 's/ .*//; s/,.*//')
	(cd "$work" && apt-get download -q "$dep" >/dev/null 2>&1) || die "apt-get download $dep failed"
	deb=$(ls "$work"/"$dep"_*.deb)
fi
mkdir "$work/k"
dpkg-deb -x "$deb" "$work/k"
kver=$(ls "$work/k/lib/modules" | head -n1)
mods=$work/k/lib/modules/$kver
# The package ships no modules.dep (its postinst makes it).
[ -s "$mods/modules.dep" ] || "$busybox" depmod -b "$work/k" "$kver" || die "depmod failed"

# ---- initramfs ----------------------------------------------------------------
ir=$work/initrd
mkdir -p "$ir"/{bin,dev,proc,sys,newroot,lib/modules}
install -m 0755 "$busybox" "$ir/bin/busybox"
ln -s busybox "$ir/bin/sh"
# The modules a virtio VM needs to reach its root file system and its
# consoles, with their dependencies first (modules.dep lists them).
want="virtio_pci virtio_blk virtio_net virtio_console crc32c_generic ext4 evdev button"
resolve() {
	local m=$1 path deps
	path=$(awk -v m="/$m.ko" 'index($1, m ":") || $1 ~ ("/" m ".ko:$") {print $0; exit}' "$mods/modules.dep")
	[ -n "$path" ] || return 0
	deps=${path#*:}
	for d in $deps; do resolve "$(basename "$d" .ko)"; done
	path=${path%%:*}
	grep -qxF "$path" "$ir/modules.order" 2>/dev/null || echo "$path" >> "$ir/modules.order"
}
: > "$ir/modules.order"
for m in $want; do resolve "$m"; done
while read -r p; do install -D -m 0644 "$mods/$p" "$ir/lib/modules/$p"; done < "$ir/modules.order"
[ "$(wc -l < "$ir/modules.order")" -ge 5 ] || die "kernel $kver lacks the virtio modules"

cat > "$ir/init" <<'EOF'
#!/bin/sh
# vz VM initramfs: modules, boot parameters, root on /dev/vda, switch_root.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /modules.order
hostname= ips= ns= gws= probe=
for a in $(cat /proc/cmdline); do
	case "$a" in
	vz.probe=1) probe=1 ;;
	vz.hostname=*) hostname=${a#vz.hostname=} ;;
	vz.ip=*) ips="$ips $(echo "${a#vz.ip=}" | tr , ' ')" ;;
	vz.ns=*) ns="$ns $(echo "${a#vz.ns=}" | tr , ' ')" ;;
	vz.gw=*) gws="$gws $(echo "${a#vz.gw=}" | tr , ' ')" ;;
	esac
done
if [ -n "$probe" ]; then
	echo VZ-PROBE-OK > /dev/ttyS0
	poweroff -f
fi
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 /dev/vda /newroot; then
	echo "vz: cannot mount /dev/vda" > /dev/console
	poweroff -f
fi
# Configuration comes from the CTID.conf on every boot (the kernel command
# line), so `vzctl set --hostname/--ipadd/--nameserver` apply at next start.
[ -z "$hostname" ] || echo "$hostname" > /newroot/etc/hostname
[ -z "$hostname" ] || hostname "$hostname"
if [ -n "$ns" ]; then
	: > /newroot/etc/resolv.conf
	for n in $ns; do echo "nameserver $n" >> /newroot/etc/resolv.conf; done
fi
ip link set lo up
if [ -n "$ips" ] && [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up
	for a in $ips; do
		case "$a" in */*) ;; *:*) a=$a/128 ;; *) a=$a/32 ;; esac
		ip addr add "$a" dev eth0
	done
	# The bridge's address is the gateway when the address is in its
	# subnet (BRIDGE_ADDRESS); otherwise every destination is on the link.
	for gw in $gws; do
		case "$gw" in
		*:*) ip -6 route add default via "$gw" dev eth0 2>/dev/null ;;
		*) ip route add default via "$gw" dev eth0 2>/dev/null ;;
		esac
	done
	ip route add default dev eth0 2>/dev/null
	ip -6 route add default dev eth0 2>/dev/null
fi
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /usr/lib/vz-guest/vminit
EOF
chmod 0755 "$ir/init"

# ---- guest files ----------------------------------------------------------
g=$work/guest/usr/lib/vz-guest
mkdir -p "$g/ga" "$g/acpi/PWRF"
install -m 0755 "$busybox" "$g/busybox"
install -m 0755 "$qga" "$g/ga/qemu-ga"
for lib in $(ldd "$qga" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
	install -m 0755 "$(readlink -f "$lib")" "$g/ga/$(basename "$lib")"
done
cat > "$g/acpi/PWRF/00000080" <<'EOF'
#!/usr/lib/vz-guest/busybox sh
# ACPI power button (vzctl stop): a clean shutdown through the guest's init.
# By path: a bare "poweroff" would be this busybox's own applet, which only
# signals a busybox init (sysvinit ignores its SIGUSR2).
for p in /sbin/poweroff /usr/sbin/poweroff /bin/poweroff; do
	[ -x "$p" ] && exec "$p"
done
exec /usr/lib/vz-guest/busybox poweroff
EOF
chmod 0755 "$g/acpi/PWRF/00000080"
cat > "$g/vminit" <<'EOF'
#!/usr/lib/vz-guest/busybox sh
# First process in a vz VM (started by the initramfs): start what vz needs
# beside the guest's own init, then become that init.
G=/usr/lib/vz-guest
B=$G/busybox
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The first line from the image's userspace (bench/vm.sh times it).
echo "vz-guest: userspace up" > /dev/console
$B mount -t proc proc /proc 2>/dev/null
$B mount -t sysfs sysfs /sys 2>/dev/null
$B mount -o remount,rw / 2>/dev/null
# The guest agent, on the virtio-serial port QEMU names for it (no udev here).
for p in /sys/class/virtio-ports/*; do
	[ "$($B cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && dev=/dev/${p##*/}
done
if [ -n "${dev:-}" ]; then
	$B mkdir -p /run
	$B setsid $G/ga/ld-linux-x86-64.so.2 --library-path $G/ga $G/ga/qemu-ga \
		-m virtio-serial -p "$dev" -t /run </dev/null >/dev/null 2>&1 &
fi
# The ACPI power button shuts the guest down (vzctl stop).
$B acpid -c $G/acpi -p /run/vz-acpid.pid 2>/dev/null
# A root shell on the serial console (vzctl console), respawned.
( while :; do $B setsid -c /bin/sh -l </dev/ttyS0 >/dev/ttyS0 2>&1; $B sleep 1; done ) &
exec /sbin/init "$@"
EOF
chmod 0755 "$g/vminit"

# ---- assemble -------------------------------------------------------------
rm -rf "$out.new"
mkdir -p "$out.new"
install -m 0644 "$work/k/boot/vmlinuz-$kver" "$out.new/vmlinuz"
(cd "$ir" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -9n > "$out.new/initrd.img"
cp -a "$work/guest" "$out.new/guest"
echo "$kver" > "$out.new/kernel-version"
rm -rf "$out.old"
[ ! -e "$out" ] || mv "$out" "$out.old"
mv "$out.new" "$out"
rm -rf "$out.old"
