"""一梯一码: each elevator's public page behind its QR sticker, and passengers' reports."""
