"""The media benchmark's caller recording: a lead-in of plain tone, then marked packets,
one continuous 20 ms A-law stream that SIPp can replay (Ethernet, IPv4, UDP)."""
import struct

from bench import rtp_pcap


def _packets(path):
    data = path.read_bytes()
    magic, _, _, _, _, _, link = struct.unpack_from("<IHHiIII", data)
    assert (magic, link) == (0xA1B2C3D4, 1)
    offset, packets = 24, []
    while offset < len(data):
        seconds, micros, length, _ = struct.unpack_from("<IIII", data, offset)
        frame = data[offset + 16:offset + 16 + length]
        packets.append((seconds * 1_000_000 + micros, frame))
        offset += 16 + length
    return packets


def test_lead_in_then_marked_packets(tmp_path):
    path = tmp_path / "caller.pcap"
    assert rtp_pcap.write(path, lead_in_s=1, marked_s=2) == 100
    packets = _packets(path)
    assert len(packets) == 150
    payloads = [frame[14 + 20 + 8 + 12:] for _, frame in packets]
    assert [p.startswith(rtp_pcap.MARK) for p in payloads] == [False] * 50 + [True] * 100
    assert all(len(p) == rtp_pcap.FRAME for p in payloads)


def test_one_continuous_stream_every_20_ms(tmp_path):
    path = tmp_path / "caller.pcap"
    rtp_pcap.write(path, lead_in_s=0.2, marked_s=0.2)
    packets = _packets(path)
    headers = [struct.unpack_from("!BBHII", frame, 14 + 20 + 8) for _, frame in packets]
    assert [at for at, _ in packets] == [n * 20_000 for n in range(len(packets))]
    assert [h[2] for h in headers] == list(range(len(packets)))          # sequence
    assert [h[3] for h in headers] == [n * 160 for n in range(len(packets))]  # timestamp
    assert {h[1] & 0x7F for h in headers} == {rtp_pcap.PAYLOAD_TYPE}
    assert len({h[4] for h in headers}) == 1                              # one SSRC
