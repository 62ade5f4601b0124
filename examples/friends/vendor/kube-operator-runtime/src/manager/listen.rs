//! Where every server of the manager binds: `:PORT` listens on IPv6 and IPv4 at once, as Go's
//! `net.Listen` does, so that kubelet probes reach the manager on IPv6-only clusters too.

use std::{
    io,
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;
use tracing::info;

/// How many connections may wait to be accepted, as tokio's own `bind` allows.
const BACKLOG: i32 = 1024;

/// Binds `address`: `:PORT` on every interface, dual-stack where the host has IPv6;
/// `HOST:PORT` on exactly that host.
pub(super) async fn bind(address: &str) -> io::Result<TcpListener> {
    match address.strip_prefix(':') {
        Some(port) => {
            let port = port.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("bad port in {address:?}"),
                )
            })?;
            bind_every_interface(port, bind_dual_stack)
        }
        None => TcpListener::bind(address).await,
    }
}

/// Binds `[::]:port` with `bind_ipv6`, or `0.0.0.0:port` where the host has no IPv6.
fn bind_every_interface(
    port: u16,
    bind_ipv6: impl FnOnce(u16) -> io::Result<std::net::TcpListener>,
) -> io::Result<TcpListener> {
    let listener = match bind_ipv6(port) {
        Ok(listener) => listener,
        Err(err) if ipv6_unavailable(&err) => {
            info!(port, error = %err, "no IPv6 on this host, listening on IPv4 only");
            std::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, port))?
        }
        Err(err) => return Err(err),
    };
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

/// One socket for both families: IPv4 clients arrive as IPv4-mapped IPv6 addresses.
fn bind_dual_stack(port: u16) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP))?;
    // The host's default (`net.ipv6.bindv6only`) may say otherwise; Go turns it off too.
    socket.set_only_v6(false)?;
    // A restarted manager must not wait for the old connections' TIME_WAIT to end.
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// A kernel without IPv6 refuses the socket; one with IPv6 disabled refuses the address.
fn ipv6_unavailable(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EAFNOSUPPORT | libc::EADDRNOTAVAIL)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::net::TcpStream;

    async fn accepts_from(listener: &TcpListener, client: SocketAddr) {
        let (connected, accepted) = tokio::join!(TcpStream::connect(client), listener.accept());
        connected.unwrap_or_else(|err| panic!("connecting to {client}: {err}"));
        accepted.unwrap();
    }

    #[tokio::test]
    async fn an_empty_host_accepts_ipv4_and_ipv6_clients() {
        let listener = bind(":0").await.unwrap();
        let local = listener.local_addr().unwrap();
        assert_eq!(local.ip(), Ipv6Addr::UNSPECIFIED, "{local}");
        accepts_from(&listener, (Ipv4Addr::LOCALHOST, local.port()).into()).await;
        accepts_from(&listener, (Ipv6Addr::LOCALHOST, local.port()).into()).await;
    }

    #[tokio::test]
    async fn without_ipv6_an_empty_host_listens_on_ipv4() {
        for errno in [libc::EAFNOSUPPORT, libc::EADDRNOTAVAIL] {
            let listener =
                bind_every_interface(0, |_| Err(io::Error::from_raw_os_error(errno))).unwrap();
            let local = listener.local_addr().unwrap();
            assert_eq!(local.ip(), Ipv4Addr::UNSPECIFIED, "{local}");
            accepts_from(&listener, (Ipv4Addr::LOCALHOST, local.port()).into()).await;
        }
    }

    #[tokio::test]
    async fn other_ipv6_failures_are_not_hidden() {
        let refused =
            bind_every_interface(0, |_| Err(io::Error::from_raw_os_error(libc::EADDRINUSE)));
        assert_eq!(refused.unwrap_err().raw_os_error(), Some(libc::EADDRINUSE));
    }

    #[tokio::test]
    async fn an_explicit_host_binds_exactly_that_host() {
        let listener = bind("[::1]:0").await.unwrap();
        assert_eq!(listener.local_addr().unwrap().ip(), Ipv6Addr::LOCALHOST);
        let listener = bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        assert_eq!(local.ip(), Ipv4Addr::LOCALHOST);
        let ipv6_client = TcpStream::connect((Ipv6Addr::LOCALHOST, local.port())).await;
        assert!(ipv6_client.is_err(), "an IPv4 host accepted an IPv6 client");
    }
}
