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

    /// The kernel's backlog of a listening socket, from `/proc/net/tcp` (the `tx_queue` column
    /// of a socket in LISTEN holds it).
    fn backlog_of(port: u16) -> Option<u32> {
        let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
        table.lines().skip(1).find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = u16::from_str_radix(fields.get(1)?.rsplit(':').next()?, 16).ok()?;
            let listening = *fields.get(3)? == "0A";
            let tx = fields.get(4)?.split(':').next()?;
            (local_port == port && listening).then(|| u32::from_str_radix(tx, 16).ok())?
        })
    }

    #[test]
    fn a_listening_socket_gets_the_wide_backlog_and_others_are_left_alone() {
        use std::os::fd::AsRawFd;
        // Two sockets listening with a small backlog, as tokio's 1,024 is to the kernel's.
        let small = |listener: &std::net::TcpListener| {
            // SAFETY: the listener's own descriptor; `listen` again only sets its backlog.
            assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 16) }, 0);
            listener.local_addr().unwrap().port()
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = small(&listener);
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other_port = small(&other);
        let before = backlog_of(port).unwrap();
        assert_eq!(before, 16);
        assert_eq!(widen(port), 1);
        let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let wanted = somaxconn.min(LISTEN_BACKLOG as u32);
        assert_eq!(backlog_of(port), Some(wanted));
        assert!(wanted > before, "{before} → {wanted}");
        assert_eq!(backlog_of(other_port), Some(before));
        // Still listening: a client connects.
        std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    }
}
