"""`torch.nn.modules.channelshuffle`: ChannelShuffle is defined with the other shuffles."""
from .pixelshuffle import ChannelShuffle

ChannelShuffle.__module__ = __name__  # pickles name torch's path

__all__ = ["ChannelShuffle"]
