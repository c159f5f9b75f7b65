"""Packet captures: readable, bounded summaries of the SMTP sessions in a pcap or pcapng file."""
