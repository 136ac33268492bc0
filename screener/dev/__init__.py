"""What only development uses: the Twilio stand-in (a local server speaking Twilio's REST shapes), the call
simulator behind `screener call`, and `screener demo`."""
