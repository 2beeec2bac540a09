"""Delivery channels: each turns a Notification into its platform's request and sends it."""

from alerts.channels.base import Channel, ChannelSpec, build_channel

__all__ = ["Channel", "ChannelSpec", "build_channel"]
