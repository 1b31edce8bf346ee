//! The kernel's queue of connections waiting to be accepted. Rocket 0.5 binds its socket with
//! tokio's default backlog of 1,024 and offers no setting for it; when a cohort opens and
//! thousands of people connect in the same second, the connections beyond it were dropped by the
//! kernel and each waited for its retransmission — a second — (issue 50: the reviewer's page
//! that opened a connection then took 1.05 s on the server's side of nothing, and the kernel
//! counted 432 listen overflows in one enrolment day). Linux lets `listen` be called again on a
//! listening socket to change its backlog: once the server listens, its socket gets
//! [`LISTEN_BACKLOG`] (capped by the kernel's `net.core.somaxconn`, 4,096 by default since
//! Linux 5.4).

/// Connections the kernel keeps for the server before it accepts them.
pub const LISTEN_BACKLOG: i32 = 4096;

/// Widens the backlog of this process's listening TCP sockets on `port`; returns how many.
/// Elsewhere than Linux it does nothing.
pub fn widen(port: u16) -> usize {
    #[cfg(target_os = "linux")]
    {
        let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
            return 0;
        };
        entries
            .flatten()
            .filter(|entry| {
                std::fs::read_link(entry.path())
                    .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
            })
            .filter_map(|entry| entry.file_name().to_str()?.parse::<libc::c_int>().ok())
            .filter(|&fd| listens_on(fd, port))
            // SAFETY: `listen` on a socket this process owns and that already listens only
            // changes its backlog (Linux); a failure leaves it as it was.
            .filter(|&fd| unsafe { libc::listen(fd, LISTEN_BACKLOG) } == 0)
            .count()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = port;
        0
    }
}

/// Whether the socket `fd` listens for TCP on `port` (IPv4 or IPv6).
#[cfg(target_os = "linux")]
fn listens_on(fd: libc::c_int, port: u16) -> bool {
    let mut listening: libc::c_int = 0;
    let mut length = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: reads one int option into a buffer of that size; a descriptor that is not a
    // socket (or was closed meanwhile) only makes the call fail.
    let read = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&raw mut listening).cast(),
            &mut length,
        )
    };
    if read != 0 || listening == 0 {
        return false;
    }
    // SAFETY: an all-zero sockaddr_storage is a valid value of the plain C struct.
    let mut address: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut length = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: getsockname writes at most `length` bytes into the storage, which fits any
    // address family.
    let named = unsafe { libc::getsockname(fd, (&raw mut address).cast(), &mut length) };
    if named != 0 {
        return false;
    }
    let bound = match libc::c_int::from(address.ss_family) {
        // SAFETY: the family says which struct the storage holds; both fit in it.
        libc::AF_INET => unsafe { (*(&raw const address).cast::<libc::sockaddr_in>()).sin_port },
        libc::AF_INET6 => unsafe { (*(&raw const address).cast::<libc::sockaddr_in6>()).sin6_port },
        _ => return false,
    };
    u16::from_be(bound) == port
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::time::Duration;

    #[test]
    fn a_listening_socket_takes_a_burst_of_connections_and_others_are_left_alone() {
        // Two sockets listening with a backlog of 16 (as tokio's 1,024 is to a burst), never
        // accepting: the kernel completes the handshakes of the first 17 and drops the others.
        let small = || {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            // SAFETY: the listener's own descriptor; `listen` again only sets its backlog.
            assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 16) }, 0);
            let address = listener.local_addr().unwrap();
            (listener, address)
        };
        // How many of `n` clients get connected within a tenth of a second each.
        let connected = |address, n| {
            (0..n)
                .filter_map(|_| {
                    TcpStream::connect_timeout(&address, Duration::from_millis(100)).ok()
                })
                .collect::<Vec<TcpStream>>()
        };
        let (_widened, address) = small();
        let (_other, other_address) = small();
        assert_eq!(widen(address.port()), 1);
        // 200 connections at once, none accepted yet: all wait in the kernel's queue.
        assert_eq!(connected(address, 200).len(), 200);
        // The other socket kept its 16: the kernel drops what is beyond.
        let other = connected(other_address, 24).len();
        assert!(other < 24, "{other} of 24 connected");
    }
}
