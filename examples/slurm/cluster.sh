#!/bin/sh
# cluster.sh start|stop - a one-node SLURM cluster on this machine, for
# testing examples/slurm (root needed; Debian's slurmctld, slurmd and munge,
# no systemd). The node is localhost with the machine's cores; jobs that
# exit with status 75 (rnnbow's "interrupted, can resume") are requeued
# (RequeueExit=75), so a job stopped by its USR1 warning runs again and its
# `rnnbow record --resume` goes on. State goes to /tmp/rnnbow-slurm.
set -eu
S=/tmp/rnnbow-slurm
case ${1:-start} in
stop)
	pkill -x slurmd 2>/dev/null || true
	pkill -x slurmctld 2>/dev/null || true
	pkill -x munged 2>/dev/null || true
	exit 0 ;;
esac
[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root (it starts daemons)" >&2; exit 1; }
for p in slurmctld slurmd munge slurm-client; do
	dpkg -s "$p" >/dev/null 2>&1 || need="${need:-} $p"
done
if [ -n "${need:-}" ]; then
	echo "cluster.sh: installing$need" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >&2
fi
mkdir -p $S/spool/ctld $S/spool/d $S/log /etc/slurm /run/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || { mkdir -p /etc/munge; dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
chmod 700 /etc/munge
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=rnnbow
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$S/spool/ctld
SlurmdSpoolDir=$S/spool/d
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobRequeue=1
RequeueExit=75
KillWait=30
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for i in $(seq 1 30); do
	sinfo -h -o '%t' 2>/dev/null | grep -q 'idle\|mix\|alloc' && { echo "cluster.sh: node up" >&2; exit 0; }
	sleep 1
done
echo "cluster.sh: the node did not come up; see $S/log" >&2
exit 1
