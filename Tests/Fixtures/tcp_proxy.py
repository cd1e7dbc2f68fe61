#!/usr/bin/env python3
"""A TCP forwarder for fault tests: tcp_proxy.py LISTEN_PORT TARGET_PORT (on 127.0.0.1).

Killing it drops every connection and refuses new ones: to clients the broker behind it is
gone, while the broker keeps its log. Starting it again on the same port brings it back.
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer, target_port):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))


async def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    server = await asyncio.start_server(lambda r, w: handle(r, w, target_port), "127.0.0.1", listen_port, reuse_address=True)
    print(f"forwarding 127.0.0.1:{listen_port} -> 127.0.0.1:{target_port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
