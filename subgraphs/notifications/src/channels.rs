//! Delivery channels behind one trait: EMAIL over SMTP, SMS and PUSH that
//! log (no provider is wired in yet; EMAIL too with `NOTIFY_EMAIL=log`), IN_APP that is the stored record.

use std::time::Duration;

use futures::{FutureExt, future::BoxFuture};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::Mailbox};

use crate::{
    config::{EmailTransport, SmtpConfig},
    store::NotificationDoc,
    templates::NotificationChannel,
};

/// Sends one notification; `Err` says why, for the record and a retry.
pub trait Channel: Send + Sync {
    fn deliver<'a>(
        &'a self,
        notification: &'a NotificationDoc,
    ) -> BoxFuture<'a, Result<(), String>>;
}

pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Email {
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        let from = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("SMTP_FROM `{}` is not a mailbox: {e}", config.from))?;
        // Plain SMTP to a relay on the local network; TLS relays are a
        // configuration away (lettre's `relay`), not needed here.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(Duration::from_secs(10)))
            .build();
        Ok(Self { transport, from })
    }
}

impl Channel for Email {
    fn deliver<'a>(
        &'a self,
        notification: &'a NotificationDoc,
    ) -> BoxFuture<'a, Result<(), String>> {
        async move {
            let to: Mailbox = notification
                .recipient
                .as_deref()
                .ok_or("no email address is known for this customer")?
                .parse()
                .map_err(|e| format!("invalid address: {e}"))?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(notification.subject.clone().unwrap_or_default())
                .body(notification.body.clone())
                .map_err(|e| format!("could not build the message: {e}"))?;
            self.transport.send(message).await.map_err(|e| format!("SMTP: {e}"))?;
            Ok(())
        }
        .boxed()
    }
}

/// SMS and PUSH: logged, as a development stand-in for a provider.
pub struct Logged(pub NotificationChannel);

impl Channel for Logged {
    fn deliver<'a>(
        &'a self,
        notification: &'a NotificationDoc,
    ) -> BoxFuture<'a, Result<(), String>> {
        tracing::info!(channel = self.0.as_str(), user = %notification.user_id, body = %notification.body, "notification delivered (logged)");
        futures::future::ready(Ok(())).boxed()
    }
}

/// IN_APP: the stored notification is the delivery.
pub struct InApp;

impl Channel for InApp {
    fn deliver<'a>(&'a self, _: &'a NotificationDoc) -> BoxFuture<'a, Result<(), String>> {
        futures::future::ready(Ok(())).boxed()
    }
}

pub struct Channels {
    pub email: Box<dyn Channel>,
    pub sms: Box<dyn Channel>,
    pub push: Box<dyn Channel>,
    pub in_app: Box<dyn Channel>,
}

impl Channels {
    pub fn new(smtp: &SmtpConfig, transport: EmailTransport) -> anyhow::Result<Self> {
        let email: Box<dyn Channel> = match transport {
            EmailTransport::Smtp => Box::new(Email::new(smtp)?),
            EmailTransport::Log => Box::new(Logged(NotificationChannel::Email)),
        };
        Ok(Self {
            email,
            sms: Box::new(Logged(NotificationChannel::Sms)),
            push: Box::new(Logged(NotificationChannel::Push)),
            in_app: Box::new(InApp),
        })
    }

    pub fn of(&self, channel: NotificationChannel) -> &dyn Channel {
        match channel {
            NotificationChannel::Email => self.email.as_ref(),
            NotificationChannel::Sms => self.sms.as_ref(),
            NotificationChannel::Push => self.push.as_ref(),
            NotificationChannel::InApp => self.in_app.as_ref(),
        }
    }
}
